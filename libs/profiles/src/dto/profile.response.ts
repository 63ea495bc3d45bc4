import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

const USER_ID = 'b7ef2ddc-86dc-42d7-a7fa-6378a5716f38';

/**
 * A profile. Masked by default: `ssn` as `***-**-6789`, `cardNumber` as `**** **** **** 4242`, `medicalInfo` left out.
 * Revealed (`?reveal=true`, and in the export): `ssn` as `123-45-6789`, `cardNumber` as its digits, `medicalInfo` present.
 */
export class ProfileView {
  @ApiProperty({ format: 'uuid', example: USER_ID, description: 'The user the profile belongs to' })
  userId!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  displayName!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '+44 20 7946 0958' })
  phone!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '12 St James Square, London' })
  address!: string | null;

  @ApiProperty({ type: String, format: 'date', nullable: true, example: '1815-12-10' })
  dateOfBirth!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '***-**-6789',
    description:
      'US SSN. Masked: `***-**-` and the last four digits; revealed: always `AAA-GG-SSSS` (`123-45-6789`), whether it was given with dashes or without; null when not set',
  })
  ssn!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '**** **** **** 4242',
    description:
      'Card number. Masked: `**** **** **** ` and the last four digits; revealed: the digits without spaces or dashes (`4242424242424242`); null when not set',
  })
  cardNumber!: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { allergies: ['penicillin'] },
    description: 'Only in revealed answers (absent when masked); null when not set',
  })
  medicalInfo?: Record<string, unknown> | null;

  @ApiProperty({ example: false, description: 'Whether the sensitive fields are unmasked' })
  revealed!: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-23T09:15:00.000Z',
    description: 'Last change; null when the profile was never set (every field then null)',
  })
  updatedAt!: string | null;
}

/** `POST /profiles/search`. */
export class ProfileSearchResultView {
  @ApiProperty({
    type: () => ProfileView,
    isArray: true,
    description: 'Profiles with that SSN, masked (at most 10; no further pages)',
  })
  items!: ProfileView[];
}

/** `DELETE /profiles/me`. */
export class ProfileErasureView {
  @ApiProperty({ type: Boolean, enum: [true], example: true })
  erased!: true;

  @ApiProperty({
    example: 'erased-3f9a1c7e5b2d8064',
    description: 'What replaced the user id in the audit events (`erased-` and 16 hex digits)',
  })
  pseudonym!: string;

  @ApiProperty({ type: 'integer', example: 14, description: 'Audit events about the user that were pseudonymised' })
  auditEventsPseudonymised!: number;
}

/**
 * `GET /profiles/me/export`: everything held about the caller, as one JSON document. The parts come from the contexts
 * that hold them (AccountData); their schemas are referenced by name, so this lib imports none of those contexts.
 */
export class ProfileExportView {
  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T09:15:00.000Z' })
  exportedAt!: string;

  @ApiProperty({ description: 'The account', allOf: [{ $ref: getSchemaPath('UserView') }] })
  account!: Record<string, unknown>;

  @ApiProperty({
    type: () => ProfileView,
    description:
      'The profile, revealed (`revealed: true`, `ssn` as `123-45-6789`, `cardNumber` as digits, `medicalInfo` present) unless it was never set',
  })
  profile!: ProfileView;

  @ApiProperty({
    description: 'Metadata of every API key the caller owns (never the secrets)',
    type: 'array',
    items: { $ref: getSchemaPath('ApiKeyView') },
  })
  apiKeys!: Record<string, unknown>[];

  @ApiProperty({
    description:
      'Active sessions (`current` is true for the session making the request; false for all with an API key)',
    type: 'array',
    items: { $ref: getSchemaPath('SessionView') },
  })
  sessions!: Record<string, unknown>[];

  @ApiProperty({
    description:
      'My live device tokens (never the tokens) and the networks I signed in from: what makes a sign-in trusted',
    allOf: [{ $ref: getSchemaPath('SignInSourcesView') }],
  })
  signInSources!: Record<string, unknown>;

  @ApiProperty({
    description: 'Audit events by or about the caller, newest first (at most 5,000)',
    type: 'array',
    items: { $ref: getSchemaPath('AuditEventView') },
  })
  auditEvents!: Record<string, unknown>[];
}
