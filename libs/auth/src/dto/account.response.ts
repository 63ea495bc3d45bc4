import { ApiProperty } from '@nestjs/swagger';

/** A live API key of the user, as a password change lists it (never the secret). */
export class ActiveApiKeyView {
  @ApiProperty({ format: 'uuid', example: '5e419f66-fe3b-4b0d-92e1-388db75b8dde' })
  id!: string;

  @ApiProperty({ example: 'billing-worker' })
  name!: string;

  @ApiProperty({ example: 'sk_live_VVKj7SPbfjaN', description: 'The public part that identifies the key' })
  prefix!: string;

  @ApiProperty({ type: [String], example: ['profiles:read'] })
  scopes!: string[];
}

/** A password change. */
export class PasswordChangedView {
  @ApiProperty({
    type: 'integer',
    example: 1,
    description: 'Other sessions of the user ended by the change (the current one stays)',
  })
  otherSessionsEnded!: number;

  @ApiProperty({
    type: [ActiveApiKeyView],
    description:
      'API keys of the user that still work (a change keeps them): revoke them all with POST /v1/api-keys/revoke-all, or one by one',
  })
  activeApiKeys!: ActiveApiKeyView[];
}

/** A password reset by mail. */
export class PasswordResetView {
  @ApiProperty({ type: 'integer', example: 2, description: 'Sessions of the user ended by the reset (all of them)' })
  sessionsEnded!: number;

  @ApiProperty({
    type: 'integer',
    example: 1,
    description:
      'API keys revoked by the reset (0 when `RESET_REVOKES_API_KEYS` is false); the owner is mailed the list',
  })
  apiKeysRevoked!: number;
}

/** A renewed recent authentication (step-up) of the current session. */
export class ReauthenticatedView {
  @ApiProperty({
    format: 'date-time',
    example: '2026-11-30T08:00:00.000Z',
    description: 'When this session last proved the password: now',
  })
  authenticatedAt!: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-11-30T08:15:00.000Z',
    description: 'Until when it may take sensitive actions (authenticatedAt + STEP_UP_MAX_AGE_MINUTES)',
  })
  sensitiveActionsUntil!: string;
}

/** A generated password that passes the policy. */
export class PasswordSuggestionView {
  @ApiProperty({ example: 'vHCFGh5dx-6=4dYjM4kQ', description: 'Random password from the CSPRNG' })
  password!: string;

  @ApiProperty({ type: 'integer', minimum: 16, maximum: 64, example: 20, description: 'Its length, as asked for' })
  length!: number;
}

/** A confirmed email address. */
export class EmailVerifiedView {
  @ApiProperty({ type: Boolean, enum: [true], example: true })
  emailVerified!: true;
}

/** The answer to a request to send the verification mail again. */
export class EmailVerificationResendView {
  @ApiProperty({
    enum: ['sent', 'already_verified'],
    example: 'sent',
    description: '`already_verified` when there is nothing to confirm (no mail is sent)',
  })
  status!: 'sent' | 'already_verified';
}

/** The answer to a forgotten-password request, the same whether or not the account exists. */
export class PasswordResetRequestView {
  @ApiProperty({ enum: ['accepted'], example: 'accepted' })
  status!: 'accepted';

  @ApiProperty({ example: 'If an account uses this address, a reset link is on its way to it.' })
  message!: string;
}
