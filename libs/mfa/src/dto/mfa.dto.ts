import { ApiProperty } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DeviceTokenField } from '@app/auth';
import { exactlyOneOf, NO_CONTROL_CHARACTERS } from '@app/core';

/** The first code an authenticator shows, proving it holds the secret being enrolled. */
export class ConfirmTotpDto {
  @ApiProperty({ example: '492039', pattern: '^[0-9]{6}$' })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'code must be 6 digits' })
  code!: string;
}

/** A name for a new authenticator (shown in the factor list). */
export class StartTotpDto {
  @ApiProperty({ required: false, example: 'Phone', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'name must not contain control characters' })
  name?: string;
}

/** The factors of a login's second step exclude each other. */
const EXACTLY_ONE_FACTOR = exactlyOneOf('factor');

/** The shape of a WebAuthn assertion as the browser's `credential.toJSON()` gives it (an example, not a valid one). */
const ASSERTION_EXAMPLE = {
  id: 'AQIDBA',
  rawId: 'AQIDBA',
  type: 'public-key',
  response: { clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0' },
};

const RENEWED_DEVICE_TOKEN =
  'The device token an earlier sign-in of this account answered (API clients; browsers send the `__Host-device` cookie instead): renewed rather than a new one issued.';

/** The second step of a login: its token and exactly one factor. */
export class LoginMfaDto {
  @ApiProperty({ example: 'mfa_Q2hhbGxlbmdlVG9rZW5FeGFtcGxlRXhhbXBsZUV4YW1w', maxLength: 64 })
  @IsString()
  @MaxLength(64)
  mfaToken!: string;

  @ApiProperty({
    required: false,
    example: '492039',
    pattern: '^[0-9]{6}$',
    description: 'A current TOTP code',
    ...EXACTLY_ONE_FACTOR,
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'totp must be 6 digits' })
  totp?: string;

  @ApiProperty({
    required: false,
    example: 'k7mq-2xvd-9rtp',
    maxLength: 32,
    description: 'One recovery code',
    ...EXACTLY_ONE_FACTOR,
  })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  recoveryCode?: string;

  @ApiProperty({
    required: false,
    type: Object,
    additionalProperties: true,
    example: ASSERTION_EXAMPLE,
    description:
      'A passkey assertion (AuthenticationResponseJSON) over the challenge of POST /v1/auth/login/mfa/webauthn/options',
    ...EXACTLY_ONE_FACTOR,
  })
  @IsOptional()
  @IsObject()
  webauthn?: Record<string, unknown>;

  @DeviceTokenField(RENEWED_DEVICE_TOKEN)
  deviceToken?: string;
}

/** A WebAuthn registration (the browser's `credential.toJSON()`) and a name for the passkey. */
export class WebauthnRegisterDto {
  @ApiProperty({
    type: Object,
    additionalProperties: true,
    example: {
      id: 'AQIDBA',
      rawId: 'AQIDBA',
      type: 'public-key',
      response: { attestationObject: 'o2NmbXRkbm9uZQ', clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0' },
    },
    description:
      'RegistrationResponseJSON: the PublicKeyCredential from navigator.credentials.create(), as toJSON() gives it',
  })
  @IsObject()
  response!: Record<string, unknown>;

  @ApiProperty({ required: false, example: 'Laptop', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'name must not contain control characters' })
  name?: string;
}

/** A new name for a factor. */
export class RenameFactorDto {
  @ApiProperty({ example: 'YubiKey 5C', maxLength: 64 })
  @IsString()
  @MaxLength(64)
  @Matches(/^[^\s].*$/, { message: 'name must not be empty or start with a space' })
  @Matches(NO_CONTROL_CHARACTERS, { message: 'name must not contain control characters' })
  name!: string;
}

/** The token of a login's second step (to ask for WebAuthn options). */
export class MfaTokenDto {
  @ApiProperty({ example: 'mfa_Q2hhbGxlbmdlVG9rZW5FeGFtcGxlRXhhbXBsZUV4YW1w', maxLength: 64 })
  @IsString()
  @MaxLength(64)
  mfaToken!: string;
}

/** A passwordless sign-in: the browser's assertion (`credential.toJSON()`). */
export class PasskeyLoginDto {
  @ApiProperty({
    type: Object,
    additionalProperties: true,
    example: ASSERTION_EXAMPLE,
    description: 'AuthenticationResponseJSON from navigator.credentials.get(), as toJSON() gives it',
  })
  @IsObject()
  webauthn!: Record<string, unknown>;

  @DeviceTokenField(RENEWED_DEVICE_TOKEN)
  deviceToken?: string;
}
