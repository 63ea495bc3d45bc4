import { ApiProperty } from '@nestjs/swagger';
import { AuditEventPage } from '@app/audit';
import type { AuditEventView } from '@app/audit';
import type { Page } from '@app/core';
import { ApiKeyView } from './api-key.response';

const COUNTS = { type: 'object', additionalProperties: { type: 'integer' } } as const;

export class ApiKeyUsageDayView {
  @ApiProperty({ format: 'date', description: 'UTC day', example: '2026-11-24' })
  day!: string;

  @ApiProperty({
    type: 'integer',
    description: 'Verifications of the key that day, whatever their outcome',
    example: 1287,
  })
  total!: number;

  @ApiProperty({
    ...COUNTS,
    description: 'Verifications by outcome code (only outcomes that occurred)',
    example: { VALID: 1280, RATE_LIMITED: 7 },
  })
  byOutcome!: Record<string, number>;
}

/** Usage of one key over the last 30 days (UTC, today included) and its audit trail. */
export class ApiKeyUsageView {
  @ApiProperty({ format: 'uuid', description: 'The key (its `id`)', example: '5e419f66-fe3b-4b0d-92e1-388db75b8dde' })
  keyId!: string;

  @ApiProperty({
    type: 'integer',
    description: 'Verifications since the key was made, whatever their outcome',
    example: 48213,
  })
  totalRequests!: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Last successful use; null if never used',
    example: '2026-11-24T14:02:37.000Z',
  })
  lastUsedAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Client address of the last successful use',
    example: '203.0.113.7',
  })
  lastUsedIp!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Who reported `lastUsedIp` (a caller of `POST /v1/keys/verify`: `key:<id>` or `user:<id>`); null when the service saw it',
    example: null,
  })
  lastUsedIpReportedBy!: string | null;

  @ApiProperty({
    type: 'number',
    minimum: 0,
    maximum: 1,
    nullable: true,
    description: 'Share of VALID outcomes over the 30 days, 4 decimals; null without requests',
    example: 0.9946,
  })
  successRate!: number | null;

  @ApiProperty({
    ...COUNTS,
    description: 'Verifications over the 30 days by outcome code (only outcomes that occurred)',
    example: { VALID: 1280, RATE_LIMITED: 7 },
  })
  byOutcome!: Record<string, number>;

  @ApiProperty({
    type: () => ApiKeyUsageDayView,
    isArray: true,
    description: 'Days with requests, oldest first (days without any are left out)',
  })
  byDay!: ApiKeyUsageDayView[];

  @ApiProperty({
    type: () => AuditEventPage,
    description: 'Audit events about the key, newest first; page on with `cursor` = `nextCursor`',
  })
  recentEvents!: Page<AuditEventView>;
}

const KEY_LISTS = 'withoutExpiry, unused30Days, holdingAdminAll, expiringWithin7Days, inGracePeriod';

/** Active and rotating keys worth a look (at most 1000, oldest first); a key may be in several lists. */
export class ApiKeyHygieneReportView {
  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T09:15:00.000Z' })
  generatedAt!: string;

  @ApiProperty({
    ...COUNTS,
    description: `The length of each list: ${KEY_LISTS}`,
    example: { withoutExpiry: 0, unused30Days: 2, holdingAdminAll: 1, expiringWithin7Days: 1, inGracePeriod: 0 },
  })
  counts!: Record<string, number>;

  @ApiProperty({ type: () => ApiKeyView, isArray: true, description: 'Keys that never expire' })
  withoutExpiry!: ApiKeyView[];

  @ApiProperty({
    type: () => ApiKeyView,
    isArray: true,
    description: 'Not used in the last 30 days (never used: created over 30 days ago)',
  })
  unused30Days!: ApiKeyView[];

  @ApiProperty({ type: () => ApiKeyView, isArray: true, description: 'Keys holding admin:all' })
  holdingAdminAll!: ApiKeyView[];

  @ApiProperty({ type: () => ApiKeyView, isArray: true, description: 'Expiring within 7 days' })
  expiringWithin7Days!: ApiKeyView[];

  @ApiProperty({
    type: () => ApiKeyView,
    isArray: true,
    description: 'Rotated keys still working until their grace period ends',
  })
  inGracePeriod!: ApiKeyView[];
}
