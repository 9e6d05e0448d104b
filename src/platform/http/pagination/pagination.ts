import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { DomainException } from '../problem-details/problem-details.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** `?limit=&cursor=` of every list (docs/api-contract.md, "Conventions"). */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Keyset position: lists are ordered by (created_at, id), so pages stay stable while rows are added. */
export interface CreatedAtCursor {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: CreatedAtCursor): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

/** A cursor we did not issue (or garbled) is a 400, never a 500. */
export function decodeCursor(cursor: string | undefined): CreatedAtCursor | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      !Number.isNaN(Date.parse(parsed[0])) &&
      typeof parsed[1] === 'string' &&
      UUID.test(parsed[1])
    ) {
      return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the 400 below
  }
  throw new DomainException('invalid-cursor', 'The cursor is not one this API issued');
}

/** Builds a page from `limit + 1` rows fetched in (created_at, id) order. */
export function toPage<Row extends { createdAt: Date; id: string }, T>(
  rows: Row[],
  limit: number,
  present: (row: Row) => T,
): Page<T> {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown.at(-1);
  return {
    data: shown.map(present),
    nextCursor: more && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null,
  };
}

/**
 * Orders by (created_at, id), starts after the cursor and fetches `limit + 1` rows (toPage's "more" probe).
 * created_at has microseconds but a cursor holds a JavaScript date (milliseconds), so both sides compare at
 * millisecond precision; otherwise the last row of a page would come back as the first of the next.
 */
export function keysetPage<T extends ObjectLiteral>(
  builder: SelectQueryBuilder<T>,
  query: PageQueryDto,
): SelectQueryBuilder<T> {
  const after = decodeCursor(query.cursor);
  const alias = builder.escape(builder.alias);
  const createdAt = `date_trunc('milliseconds', ${alias}.created_at)`;
  builder
    .orderBy(createdAt, 'ASC')
    .addOrderBy(`${alias}.id`, 'ASC')
    .limit(query.limit + 1);
  if (after) builder.andWhere(`(${createdAt}, ${alias}.id) > (:createdAt, :id)`, after);
  return builder;
}

/** A cursor over other keys than (created_at, id): the last row's key values, each checked on the way back. */
export function encodeKeyCursor(values: string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeKeyCursor(cursor: string | undefined, shape: RegExp[]): string[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === shape.length &&
      parsed.every((value, index) => typeof value === 'string' && shape[index].test(value))
    ) {
      return parsed as string[];
    }
  } catch {
    // fall through to the 400 below
  }
  throw new DomainException('invalid-cursor', 'The cursor is not one this API issued');
}
