import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const ENVELOPE_EXAMPLE = 'AQAAAAJEDA1DpbK2zd6hffoqcvdjt5bF-W8hQvdsUcghsQI1gc4';

/** `POST /crypto/encrypt` and `POST /crypto/rewrap`. */
export class TransitCiphertextView {
  @ApiProperty({
    example: ENVELOPE_EXAMPLE,
    description:
      'The envelope (base64url): format, key version, IV, GCM tag and ciphertext; decrypts only for the same caller and context',
  })
  ciphertext!: string;

  @ApiProperty({ type: 'integer', example: 2, description: 'The key version that sealed it (the current one)' })
  keyVersion!: number;
}

/** `POST /crypto/decrypt`. */
export class TransitPlaintextView {
  @ApiProperty({ example: 'aGVsbG8=', description: 'The plaintext, base64' })
  plaintext!: string;
}

/** `POST /crypto/hmac`. */
export class TransitHmacView {
  @ApiProperty({
    example: 'v2.ci4XFP5MBi96pYwhMmPy3TX9DP8uP9xtC-sQX9FinD8',
    description: 'HMAC-SHA-256 as `v<key version>.<base64url>`',
  })
  mac!: string;
}

/** `POST /crypto/verify`. */
export class TransitHmacVerificationView {
  @ApiProperty({
    example: true,
    description:
      'Whether the MAC matches the data under your context (false also for a retired or unknown key version)',
  })
  valid!: boolean;
}

/** One key version of the keyring, in `GET /admin/keyring`. */
export class KeyVersionStatusView {
  @ApiProperty({ type: 'integer', example: 2 })
  version!: number;

  @ApiProperty({ example: true, description: 'Whether this version encrypts (only the current one does)' })
  encrypts!: boolean;

  @ApiProperty({ example: true, description: 'Whether this version still decrypts (false once retired)' })
  decrypts!: boolean;

  @ApiProperty({
    type: 'integer',
    example: 18422,
    description: 'Encryptions made under this version, across all instances',
  })
  encryptions!: number;

  @ApiProperty({
    type: 'number',
    example: 0.0000042892,
    description: 'encryptions / 2^32, the AES-GCM random-IV limit per key (NIST SP 800-38D)',
  })
  shareOfGcmLimit!: number;
}

export const REWRAP_STATES = ['idle', 'running', 'done', 'failed'] as const;

/** Progress of the rewrap (every envelope moved to the current key version), as kept by this instance. */
export class KeyringRewrapView {
  @ApiProperty({ enum: REWRAP_STATES, example: 'running', description: 'idle: no run since this instance started' })
  state!: (typeof REWRAP_STATES)[number];

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 2,
    description: 'The key version of the last run; null before any run',
  })
  targetVersion!: number | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-23T09:15:00.000Z',
    description: 'null before any run',
  })
  startedAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'null while running and before any run',
  })
  finishedAt!: string | null;

  @ApiProperty({ type: 'integer', example: 4200, description: 'Envelopes moved so far' })
  rewrapped!: number;

  @ApiProperty({
    type: 'integer',
    example: 0,
    description: 'Rows left alone because they failed their integrity check (audited by their store)',
  })
  skipped!: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 5800,
    description: 'Envelopes still under older key versions; null before any run',
  })
  remaining!: number | null;

  @ApiPropertyOptional({
    example: 'connection terminated unexpectedly',
    description: 'Why the run stopped; only when state is failed',
  })
  error?: string;
}

/** `GET /admin/keyring`. */
export class KeyringStatusView {
  @ApiProperty({ type: 'integer', example: 2, description: 'The key version that encrypts' })
  current!: number;

  @ApiProperty({ type: 'integer', example: 1, description: 'Versions below it are retired (no longer decrypt)' })
  minDecryptionVersion!: number;

  @ApiProperty({
    type: 'integer',
    example: 2147483648,
    description: 'Encryptions under one version after which a warning is logged (ENCRYPTION_WARN_PERCENT of 2^32)',
  })
  warnAtEncryptions!: number;

  @ApiProperty({
    type: () => KeyVersionStatusView,
    isArray: true,
    description: 'Every version in the keyring, oldest first',
  })
  versions!: KeyVersionStatusView[];

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } },
    example: { profiles: { v1: 5800, v2: 4200 } },
    description: 'Envelopes per store, then per key version (`v<version>`); versions without any are left out',
  })
  ciphertexts!: Record<string, Record<string, number>>;

  @ApiProperty({ type: () => KeyringRewrapView })
  rewrap!: KeyringRewrapView;
}

/** `POST /admin/keyring/retire`. */
export class KeyringRetirementView {
  @ApiProperty({
    type: 'integer',
    example: 2,
    description: 'The oldest version that still decrypts, after the retirement',
  })
  minDecryptionVersion!: number;
}
