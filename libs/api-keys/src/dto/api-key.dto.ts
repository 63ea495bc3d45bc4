import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsIP,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  ValidateIf,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { isIPv4, isIPv6 } from 'node:net';
import { ALL_SCOPES, NO_CONTROL_CHARACTERS, PageQueryDto } from '@app/core';
import { API_KEY_STATUSES, QUOTA_REFILL_INTERVALS } from '../entities/api-key.entity';
import { KEY_ENVIRONMENTS } from '../key-format';

const NO_CONTROL = NO_CONTROL_CHARACTERS;

export function isCidr(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 50) return false;
  const [addr, bits, extra] = value.split('/');
  if (extra !== undefined) return false;
  const max = isIPv4(addr) ? 32 : isIPv6(addr) ? 128 : -1;
  if (max < 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
}

/** Each element an IPv4/IPv6 address or CIDR block. */
function IsCidrList(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCidrList',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: '$property must hold IPv4/IPv6 addresses or CIDR blocks (e.g. 203.0.113.0/24, 2001:db8::/32)',
        ...options,
      },
      validator: { validate: (v: unknown) => Array.isArray(v) && v.every(isCidr) },
    });
}

/** The key's scopes: catalogue names, unique, at least one. */
function ScopeList(required: boolean): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ type: [String], enum: ALL_SCOPES, example: ['profiles:read'], required })(target, key);
    IsArray()(target, key);
    ArrayMinSize(1)(target, key);
    ArrayMaxSize(ALL_SCOPES.length)(target, key);
    ArrayUnique()(target, key);
    IsIn(ALL_SCOPES, { each: true, message: 'each value in $property must be a scope from the catalogue' })(
      target,
      key,
    );
  };
}

export class RateLimitDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1_000_000, example: 100 })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  limit!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 86_400, example: 60 })
  @IsInt()
  @Min(1)
  @Max(86_400)
  windowSeconds!: number;
}

export class QuotaRefillDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1_000_000_000, example: 1000 })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  amount!: number;

  @ApiProperty({
    enum: QUOTA_REFILL_INTERVALS,
    example: 'day',
    description: 'Refilled to `amount` at the first use in each new UTC day or month',
  })
  @IsIn(QUOTA_REFILL_INTERVALS)
  interval!: 'day' | 'month';
}

export class QuotaDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 1_000_000_000, example: 1000 })
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  remaining!: number;

  @ApiPropertyOptional({ type: QuotaRefillDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuotaRefillDto)
  refill?: QuotaRefillDto;
}

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 3, maxLength: 100, example: 'billing-worker' })
  @IsString()
  @MinLength(3)
  @MaxLength(100)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name!: string;

  @ScopeList(true)
  scopes!: string[];

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 365, default: 90 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  expiresInDays?: number;

  @ApiPropertyOptional({
    type: [String],
    example: ['203.0.113.0/24', '2001:db8::/48'],
    description: 'Addresses or CIDR blocks the key may be used from (empty: anywhere)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsCidrList()
  ipAllowlist?: string[];

  @ApiPropertyOptional({ type: RateLimitDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RateLimitDto)
  rateLimit?: RateLimitDto;

  @ApiPropertyOptional({ type: QuotaDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuotaDto)
  quota?: QuotaDto;

  @ApiPropertyOptional({ enum: KEY_ENVIRONMENTS, default: 'live' })
  @IsOptional()
  @IsIn(KEY_ENVIRONMENTS)
  environment?: 'live' | 'test';
}

export class UpdateApiKeyDto {
  @ApiPropertyOptional({ minLength: 3, maxLength: 100, example: 'billing export (renamed)' })
  @IsOptional()
  @IsString()
  @MinLength(3)
  @MaxLength(100)
  @Matches(NO_CONTROL, { message: 'name must not contain control characters' })
  name?: string;

  @ApiPropertyOptional({
    type: [String],
    enum: ALL_SCOPES,
    description: 'Only a subset of the current scopes (narrowing)',
    example: ['profiles:read'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ALL_SCOPES.length)
  @ArrayUnique()
  @IsIn(ALL_SCOPES, { each: true, message: 'each value in $property must be a scope from the catalogue' })
  scopes?: string[];

  @ApiPropertyOptional({ type: [String], example: ['203.0.113.0/24'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsCidrList()
  ipAllowlist?: string[];

  @ApiPropertyOptional({ type: RateLimitDto, nullable: true, description: 'null removes the limit' })
  @ValidateIf((_o, v) => v !== undefined && v !== null)
  @ValidateNested()
  @Type(() => RateLimitDto)
  rateLimit?: RateLimitDto | null;

  @ApiPropertyOptional({ type: QuotaDto, nullable: true, description: 'null removes the quota' })
  @ValidateIf((_o, v) => v !== undefined && v !== null)
  @ValidateNested()
  @Type(() => QuotaDto)
  quota?: QuotaDto | null;
}

export class RotateApiKeyDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 72,
    default: 48,
    description: 'Hours the old key keeps working (0: it stops at once)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(72)
  gracePeriodHours?: number;
}

export const KEY_SORTS = [
  'createdAt',
  '-createdAt',
  'expiresAt',
  '-expiresAt',
  'lastUsedAt',
  '-lastUsedAt',
  'name',
  '-name',
] as const;

/** `?limit` and `?cursor` for the key's page of audit events (the cursor is opaque, as every list's). */
export class EventsPageQueryDto extends PageQueryDto {}

export class ListApiKeysQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: API_KEY_STATUSES })
  @IsOptional()
  @IsIn(API_KEY_STATUSES)
  status?: 'active' | 'rotating' | 'revoked' | 'expired';

  @ApiPropertyOptional({ enum: KEY_SORTS, default: '-createdAt' })
  @IsOptional()
  @IsIn(KEY_SORTS)
  sort?: (typeof KEY_SORTS)[number];

  @ApiPropertyOptional({
    description:
      'Search: keys whose name contains this (any case) or whose public prefix starts with it (`sk_live_VVKj`)',
    maxLength: 64,
    example: 'deploy',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'q must not contain control characters' })
  q?: string;

  @ApiPropertyOptional({ description: 'Another user’s keys (admin:all only)', format: 'uuid' })
  @IsOptional()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { message: 'ownerId must be a UUID' })
  ownerId?: string;
}

export class VerifyKeyDto {
  @ApiProperty({ example: 'sk_live_…', maxLength: 512 })
  @IsString()
  @MaxLength(512)
  key!: string;

  @ApiPropertyOptional({
    type: [String],
    enum: ALL_SCOPES,
    description: 'The scopes the caller needs; the answer is INSUFFICIENT_SCOPES when the key lacks one',
    example: ['profiles:read'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(ALL_SCOPES.length)
  @IsIn(ALL_SCOPES, { each: true, message: 'each value in $property must be a scope from the catalogue' })
  requiredScopes?: string[];

  @ApiPropertyOptional({
    example: '203.0.113.7',
    description:
      'The client address the calling service saw; needed for keys with an allowlist (without it they answer FORBIDDEN_IP)',
  })
  @IsOptional()
  @IsIP()
  ip?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 1000,
    default: 1,
    description:
      'Quota units this use spends (keys with a quota; Unkey’s `cost`): default 1; 0 checks that a unit is left without spending it. A use needing more than is left is QUOTA_EXCEEDED and spends nothing',
    example: 1,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  cost?: number;
}
