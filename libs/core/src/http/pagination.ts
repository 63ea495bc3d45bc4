import type { Type as ClassType } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

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
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'cursor is malformed' })
  cursor?: string;
}

/** Opaque list cursors: an offset, base64url-encoded. */
export function encodeCursor(offset: number): string {
  return Buffer.from(`o${offset}`).toString('base64url');
}

/** The offset a cursor stands for; an unreadable cursor starts from the beginning. */
export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const m = /^o(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : 0;
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
