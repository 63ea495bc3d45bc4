import { ApiProperty } from '@nestjs/swagger';
import { ALL_SCOPES } from '@app/core';
import { KEY_ENVIRONMENTS } from '../key-format';
import { VERIFY_CODES } from '../key-verifier';
import type { VerifyCode } from '../key-verifier';

export class KeyVerificationRateLimitView {
  @ApiProperty({ type: 'integer', description: 'Requests allowed per window', example: 100 })
  limit!: number;

  @ApiProperty({ type: 'integer', description: 'Requests left now', example: 99 })
  remaining!: number;

  @ApiProperty({
    type: 'integer',
    description: 'When the full limit is available again (Unix epoch milliseconds)',
    example: 1795528957600,
  })
  reset!: number;
}

/** The verdict on a presented key; details only when the secret matched a real key. */
export class KeyVerificationView {
  @ApiProperty({ description: 'true exactly when `code` is VALID', example: true })
  valid!: boolean;

  @ApiProperty({
    enum: VERIFY_CODES,
    description: 'NOT_FOUND also for malformed keys and wrong secrets',
    example: 'VALID',
  })
  code!: VerifyCode;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The key’s `id`; null when no key matched',
    example: '5e419f66-fe3b-4b0d-92e1-388db75b8dde',
  })
  keyId!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The user the key acts for; null when no key matched',
    example: '6cf5cc0c-fe00-40ac-9752-930e72e6b6f7',
  })
  ownerId!: string | null;

  @ApiProperty({
    type: String,
    enum: [...KEY_ENVIRONMENTS, null] as string[],
    nullable: true,
    description: 'null when no key matched',
    example: 'live',
  })
  environment!: string | null;

  @ApiProperty({
    enum: ALL_SCOPES,
    isArray: true,
    description: 'What the key may do now: its scopes that its owner still holds (empty when no key matched)',
    example: ['certificates:read', 'profiles:read'],
  })
  scopes!: string[];

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'null when no key matched or it never expires',
    example: '2027-02-21T09:15:00.000Z',
  })
  expiresAt!: string | null;

  @ApiProperty({
    type: () => KeyVerificationRateLimitView,
    nullable: true,
    description:
      'The rate limit after this request, for a key with one whose check got that far (VALID, RATE_LIMITED, QUOTA_EXCEEDED); null otherwise',
  })
  ratelimit!: KeyVerificationRateLimitView | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description:
      'For a key with a quota: what is left after this use, or as it stands when refused (0 when exhausted: QUOTA_EXCEEDED); null for a key without a quota',
    example: 996,
  })
  quotaRemaining!: number | null;
}
