import { ApiProperty } from '@nestjs/swagger';
import { ALL_SCOPES, PageOf } from '@app/core';
import { API_KEY_STATUSES, QUOTA_REFILL_INTERVALS } from '../entities/api-key.entity';
import type { ApiKeyStatus, QuotaRefillInterval } from '../entities/api-key.entity';
import { KEY_ENVIRONMENTS } from '../key-format';
import type { KeyEnvironment } from '../key-format';

/** Why a key was revoked; `null` is in the list because the field is null until then. */
const REVOKED_REASONS = ['owner', 'admin', 'rotated', 'password_reset', null] as string[];

export class ApiKeyRateLimitView {
  @ApiProperty({ type: 'integer', description: 'Requests allowed per window', example: 100 })
  limit!: number;

  @ApiProperty({ type: 'integer', example: 60 })
  windowSeconds!: number;
}

export class ApiKeyQuotaRefillView {
  @ApiProperty({
    type: 'integer',
    description: '`remaining` is reset to this at the first use in each new period',
    example: 1000,
  })
  amount!: number;

  @ApiProperty({ enum: QUOTA_REFILL_INTERVALS, description: 'UTC day or month', example: 'day' })
  interval!: QuotaRefillInterval;
}

export class ApiKeyQuotaView {
  @ApiProperty({ type: 'integer', description: 'Uses left (in this period, with a refill)', example: 997 })
  remaining!: number;

  @ApiProperty({
    type: () => ApiKeyQuotaRefillView,
    nullable: true,
    description: 'null: a one-off quota, never refilled',
  })
  refill!: ApiKeyQuotaRefillView | null;
}

/** A key as the API shows it: never the secret or its hash. */
export class ApiKeyView {
  @ApiProperty({ format: 'uuid', example: '5e419f66-fe3b-4b0d-92e1-388db75b8dde' })
  id!: string;

  @ApiProperty({
    format: 'uuid',
    description: 'The user the key acts for',
    example: '6cf5cc0c-fe00-40ac-9752-930e72e6b6f7',
  })
  ownerId!: string;

  @ApiProperty({ example: 'billing-worker' })
  name!: string;

  @ApiProperty({
    description: '`sk_<environment>_<key id>`: the start of the key, not a secret; tells keys apart',
    example: 'sk_live_VVKj7SPbfjaN',
  })
  prefix!: string;

  @ApiProperty({ enum: KEY_ENVIRONMENTS, example: 'live' })
  environment!: KeyEnvironment;

  @ApiProperty({
    enum: API_KEY_STATUSES,
    description: '`rotating`: replaced, still working until `graceEndsAt`',
    example: 'active',
  })
  status!: ApiKeyStatus;

  @ApiProperty({
    enum: ALL_SCOPES,
    isArray: true,
    description: 'Sorted; the key acts only with those its owner still holds',
    example: ['certificates:read', 'profiles:read'],
  })
  scopes!: string[];

  @ApiProperty({
    type: String,
    isArray: true,
    description: 'Addresses or CIDR blocks the key may be used from (empty: anywhere)',
    example: ['203.0.113.0/24'],
  })
  ipAllowlist!: string[];

  @ApiProperty({ type: () => ApiKeyRateLimitView, nullable: true, description: 'null: no rate limit' })
  rateLimit!: ApiKeyRateLimitView | null;

  @ApiProperty({ type: () => ApiKeyQuotaView, nullable: true, description: 'null: no quota' })
  quota!: ApiKeyQuotaView | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T09:15:00.000Z' })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'null: never expires',
    example: '2027-02-21T09:15:00.000Z',
  })
  expiresAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'End of the rotation grace period (set when rotated with one)',
    example: null,
  })
  graceEndsAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  revokedAt!: string | null;

  @ApiProperty({
    type: String,
    enum: REVOKED_REASONS,
    nullable: true,
    description:
      'By its `owner` (one key or all at once), by an `admin`, `rotated` (grace period over or none given), or by a `password_reset` by mail',
    example: null,
  })
  revokedReason!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The key this one replaced',
    example: 'fbcd290b-5373-4989-b430-48804bf80fe5',
  })
  rotatedFrom!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The key that replaced this one',
    example: null,
  })
  rotatedTo!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Last successful use (written in batches, so up to a few seconds behind)',
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
      'Who reported `lastUsedIp` when this service did not see the client itself: the caller of `POST /v1/keys/verify` (`key:<id>` or `user:<id>`); null when the service saw the address',
    example: null,
  })
  lastUsedIpReportedBy!: string | null;
}

export const ApiKeyPage = PageOf(ApiKeyView, 'Keys in the requested order');

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({
    description: 'The full key: in this answer only, it cannot be recovered later',
    example: 'sk_live_VVKj7SPbfjaN_3IQPiftXG1xNQaezl3XCWdITfA06GQ2Fb3YUApzmLml0ZqawT',
  })
  key!: string;

  @ApiProperty({ example: 'Store this key now: it is shown only once and cannot be recovered.' })
  warning!: string;
}

export class RotatedApiKeyView extends CreatedApiKeyView {
  @ApiProperty({
    type: () => ApiKeyView,
    description: 'The old key: `rotating` until its grace period ends, or `revoked` at once without one',
  })
  previous!: ApiKeyView;
}

/** The answer to revoking every key of the caller at once. */
export class RevokedAllApiKeysView {
  @ApiProperty({ type: 'integer', minimum: 0, example: 2, description: 'How many live keys were revoked' })
  revoked!: number;

  @ApiProperty({
    type: [String],
    format: 'uuid',
    example: ['5e419f66-fe3b-4b0d-92e1-388db75b8dde', '0b7c3f0e-6a57-4c4e-9d59-1f4f2d1e8a11'],
    description: 'Their `id`s (each now `revoked` with reason `owner`)',
  })
  ids!: string[];
}
