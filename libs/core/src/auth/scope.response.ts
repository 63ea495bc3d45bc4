import { ApiProperty } from '@nestjs/swagger';
import { ALL_SCOPES } from './scopes';

export class ScopeView {
  @ApiProperty({ enum: ALL_SCOPES, example: 'certificates:read' })
  scope!: string;

  @ApiProperty({ example: 'Read the certificate inventory' })
  description!: string;
}

export class ScopeCatalogueView {
  @ApiProperty({ type: () => ScopeView, isArray: true, description: 'Every scope there is' })
  items!: ScopeView[];

  @ApiProperty({
    enum: ALL_SCOPES,
    isArray: true,
    nullable: true,
    description: 'The scopes of the credential sent; null without one',
    example: ['profiles:read', 'certificates:read'],
  })
  held!: string[] | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Always null: the catalogue is one page' })
  nextCursor!: null;
}
