import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { AUDIT_OUTCOMES, PageQueryDto } from '@app/core';
import type { AuditOutcome } from '@app/core';

/**
 * The event families `?type=` may name (the part of an action before the first dot). A type is a family or a prefix
 * within one (`auth`, `auth.login`, `api_key.re`): matched as a prefix of the action, only inside these families.
 */
export const AUDIT_TYPE_FAMILIES = [
  'account',
  'admin',
  'api_key',
  'audit',
  'auth',
  'certificate',
  'crypto',
  'keyring',
  'mfa',
  'profile',
] as const;

/** A family, optionally with a dot and the start of an action (kept equal to the list above by audit.service.spec). */
export const AUDIT_TYPE_PATTERN =
  /^(?:account|admin|api_key|audit|auth|certificate|crypto|keyring|mfa|profile)(?:$|\.[a-z_]{0,40}$)/;
const TYPE_PATTERN = AUDIT_TYPE_PATTERN;

/** The filters of the event list and of the export. */
export class AuditFilterQueryDto {
  @ApiPropertyOptional({
    description: `Action prefix within one family (${AUDIT_TYPE_FAMILIES.map((f) => `\`${f}\``).join(', ')}): \`auth\`, \`auth.login\`, \`api_key.revoke\``,
    example: 'auth.login',
    maxLength: 53,
  })
  @IsOptional()
  @IsString()
  @Matches(TYPE_PATTERN, {
    message: `type must be one of ${AUDIT_TYPE_FAMILIES.join(', ')}, optionally with .<action>`,
  })
  type?: string;

  @ApiPropertyOptional({ description: 'Events by this actor (a user id, or a pseudonym after erasure)', maxLength: 64 })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_:-]{1,64}$/, { message: 'actorId must be an id' })
  actorId?: string;

  @ApiPropertyOptional({ description: 'Events about this object (a user, key, session … id)', maxLength: 64 })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_:-]{1,64}$/, { message: 'targetId must be an id' })
  targetId?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Events at or after this instant',
    example: '2026-11-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  @MaxLength(40)
  since?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Events before this instant',
    example: '2026-12-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  @MaxLength(40)
  until?: string;
}

/** `GET /audit/events`: the filters, `?limit` and `?cursor`. */
export class AuditEventsQueryDto extends IntersectionType(PageQueryDto, AuditFilterQueryDto) {}

/** `GET /me/security-activity`: how many of each kind. */
export class SecurityActivityQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Events of each kind' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
