import { ApiProperty } from '@nestjs/swagger';

/** A pending authenticator enrolment: the secret, shown this once. */
export class TotpEnrolmentView {
  @ApiProperty({ format: 'uuid', example: '2a0d8a4e-3f4b-4b8e-9a53-6a1f0f1f5e11' })
  factorId!: string;

  @ApiProperty({ example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', description: 'The secret in base32, to type in by hand' })
  secret!: string;

  @ApiProperty({
    example:
      'otpauth://totp/Security%20Backend:ada%40example.com?issuer=Security%20Backend&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
    description: 'The URI an authenticator app scans',
  })
  otpauthUri!: string;

  @ApiProperty({
    example: '<svg xmlns="http://www.w3.org/2000/svg" …</svg>',
    description: 'The URI as a QR code (SVG)',
  })
  qrSvg!: string;
}

/** One second factor (no secret). */
export class FactorView {
  @ApiProperty({ format: 'uuid', example: '2a0d8a4e-3f4b-4b8e-9a53-6a1f0f1f5e11' })
  id!: string;

  @ApiProperty({ enum: ['totp', 'webauthn'], example: 'totp' })
  kind!: 'totp' | 'webauthn';

  @ApiProperty({ example: 'Phone' })
  name!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-30T09:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-11-30T09:05:00.000Z' })
  lastUsedAt!: string | null;
}

/** A confirmed authenticator; on the first factor, the recovery codes (shown this once). */
export class TotpConfirmedView {
  @ApiProperty({ type: () => FactorView })
  factor!: FactorView;

  @ApiProperty({
    type: String,
    isArray: true,
    example: ['k7mq-2xvd-9rtp', '4hw0-c8ze-pn3b'],
    description: 'Recovery codes, shown once (only when this is the first factor; otherwise empty)',
  })
  recoveryCodes!: string[];

  @ApiProperty({ type: 'integer', example: 1, description: 'Other sessions of the account ended' })
  sessionsEnded!: number;
}

/** The second factors of the signed-in user. */
export class MfaStatusView {
  @ApiProperty({ example: true })
  mfaEnabled!: boolean;

  @ApiProperty({ type: () => FactorView, isArray: true })
  factors!: FactorView[];

  @ApiProperty({ type: 'integer', example: 9, description: 'Recovery codes not yet used' })
  recoveryCodesLeft!: number;
}

/** A fresh set of recovery codes (the old ones no longer work). */
export class RecoveryCodesView {
  @ApiProperty({ type: String, isArray: true, example: ['k7mq-2xvd-9rtp', '4hw0-c8ze-pn3b'] })
  recoveryCodes!: string[];
}

/** What removing a factor did. */
export class FactorRemovedView {
  @ApiProperty({ example: false, description: 'Whether a second factor remains' })
  mfaEnabled!: boolean;

  @ApiProperty({ type: 'integer', example: 1, description: 'Other sessions of the account ended' })
  sessionsEnded!: number;
}

/** What an admin reset of a user's factors did. */
export class MfaResetView {
  @ApiProperty({ type: 'integer', example: 2 })
  factorsRemoved!: number;

  @ApiProperty({ type: 'integer', example: 3 })
  sessionsEnded!: number;
}
