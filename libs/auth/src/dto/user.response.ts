import { ApiProperty } from '@nestjs/swagger';
import { ALL_SCOPES, Role } from '@app/core';

/** A user as the API shows it (no hash, no lockout counters). */
export class UserView {
  @ApiProperty({ format: 'uuid', example: '1e3def5f-4705-4507-8499-075e337d050d' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com', description: 'Trimmed and lower-cased' })
  email!: string;

  @ApiProperty({ example: 'ada.lovelace' })
  username!: string;

  @ApiProperty({ enum: ['user', 'admin'], example: 'user' })
  role!: Role;

  @ApiProperty({
    type: String,
    isArray: true,
    enum: ALL_SCOPES,
    example: ['profiles:read', 'profiles:write', 'profiles:read_sensitive', 'audit:read'],
    description: 'Scopes the user holds',
  })
  scopes!: string[];

  @ApiProperty({ example: true, description: 'Whether the email address has been confirmed' })
  emailVerified!: boolean;

  @ApiProperty({ example: false, description: 'Whether a second factor (TOTP, passkey) is enrolled' })
  mfaEnabled!: boolean;

  @ApiProperty({
    enum: ['aal1', 'aal2'],
    required: false,
    example: 'aal1',
    description: '/v1/me from a session: its assurance level (`aal2`: a second factor proven)',
  })
  aal?: 'aal1' | 'aal2';

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-23T09:15:00.000Z',
    description: 'When the password was last set',
  })
  passwordChangedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T09:15:00.000Z' })
  createdAt!: string;
}

/** A successful login. */
export class LoginView {
  @ApiProperty({
    example: 'R5EkEkKGL8BzebJ0k6KNPqWo22XZ-ADKDAoZkepfmik',
    description: 'Opaque session token (43 base64url characters); send as `Authorization: Bearer …`',
  })
  token!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-24T09:15:00.000Z',
    description: 'Absolute expiry of the session (it also ends after idling)',
  })
  expiresAt!: string;

  @ApiProperty({
    example: 'q3V9aXQk0nRr1M2bUu7cJq8Lw0pNn5e3VhS4yZ6tA1o',
    description:
      'Device token (43 base64url characters, DEVICE_TOKEN_DAYS long, also set as the `__Host-device` cookie): send it back as `deviceToken` at later sign-ins so failed logins from elsewhere never lock this device out',
  })
  deviceToken!: string;

  @ApiProperty({ type: () => UserView })
  user!: UserView;

  @ApiProperty({ type: 'integer', example: 12, description: 'Whole days since the password was last set' })
  passwordAgeDays!: number;

  @ApiProperty({
    example: false,
    description: 'True when the password is at least PASSWORD_MAX_AGE_DAYS old (never when that is 0)',
  })
  passwordNeedsRotation!: boolean;
}

/**
 * The answer to a login for an account with a second factor: no session yet. Send the token with a factor to
 * POST /v1/auth/login/mfa within its lifetime (MFA_TOKEN_TTL_SECONDS); it works once.
 */
export class SecondFactorChallengeView {
  @ApiProperty({ enum: [true], example: true, description: 'A second factor is needed: no session was issued' })
  mfaRequired!: true;

  @ApiProperty({
    example: 'mfa_Q2hhbGxlbmdlVG9rZW5FeGFtcGxlRXhhbXBsZUV4YW1w',
    description: 'Short-lived, single-use token bound to this password step',
  })
  mfaToken!: string;

  @ApiProperty({
    type: String,
    isArray: true,
    enum: ['totp', 'recoveryCode', 'webauthn'],
    example: ['totp', 'recoveryCode'],
    description: 'The factors this account can prove',
  })
  methods!: string[];

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-24T09:20:00.000Z' })
  expiresAt!: string;
}

/** The answer to a registration, the same whether or not the address or username was free. */
export class RegistrationView {
  @ApiProperty({ enum: ['pending_verification'], example: 'pending_verification' })
  status!: 'pending_verification';

  @ApiProperty({
    example: 'If the address can be registered, a message is on its way to it. Follow the link in it to finish.',
  })
  message!: string;
}
