import type { Type as ClassType } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** `?limit` (1–100, default 20), the list convention of every endpoint. */
export class LimitQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

/** `?limit` and `?cursor` (opaque, from the previous page's `nextCursor`). */
export class PageQueryDto extends LimitQueryDto {
  @ApiPropertyOptional({
    description:
      'Opaque, integrity-protected cursor: the previous page’s `nextCursor`, with the same filters and sort (anything else is 400 INVALID_CURSOR)',
    maxLength: 1200,
  })
  @IsOptional()
  @IsString()
  @MaxLength(1200)
  cursor?: string;
}

/** A page of answers, `{ items, nextCursor }`, as a named schema (`<Item>Page`, the item's `View` suffix dropped). */
export function PageOf<T>(item: ClassType<T>, description?: string): ClassType<Page<T>> {
  class PageOfItems {
    @ApiProperty({ type: () => item, isArray: true, description })
    items!: T[];

    @ApiProperty({
      type: String,
      nullable: true,
      example: null,
      description: 'Pass as `cursor` for the next page; null on the last page',
    })
    nextCursor!: string | null;
  }
  Object.defineProperty(PageOfItems, 'name', { value: `${item.name.replace(/View$/, '')}Page` });
  return PageOfItems;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
