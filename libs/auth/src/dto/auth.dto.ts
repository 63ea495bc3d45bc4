import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsOptional,
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { ALL_SCOPES, exactlyOneOf, NO_CONTROL_CHARACTERS } from '@app/core';
import { OPAQUE_TOKEN } from '../tokens';

// Control characters (NUL included) are refused in credentials: they are never typed and break other systems.
const NO_CONTROL = NO_CONTROL_CHARACTERS;
const trimLower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/** A password field: 1–128 characters (the policy explains what is too weak); a new one may hold no control characters. */
function PasswordField(opts: { isNew: boolean; example?: string }): PropertyDecorator {
  const decorators = [ApiProperty({ maxLength: 128, example: opts.example }), IsString(), MinLength(1), MaxLength(128)];
  if (opts.isNew) decorators.push(Matches(NO_CONTROL, { message: '$property must not contain control characters' }));
  return applyDecorators(...decorators);
}

/**
 * The optional `deviceToken` of a sign-in body (password login, second step, passkey): an opaque token an earlier
 * sign-in of the account answered; `description` says what this request does with it.
 */
export function DeviceTokenField(description: string): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ required: false, example: 'q3V9mZk2Yw8rT1xLpA0cE7sHnG5uJdRbFiOaKvWy4QA', description }),
    ValidateIf((_o, v) => v !== undefined),
    IsString(),
    Matches(OPAQUE_TOKEN, { message: 'deviceToken is malformed' }),
  );
}

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @Transform(trimLower)
  @IsString()
  @MaxLength(254)
  @IsEmail({ allow_utf8_local_part: false, require_tld: false, allow_ip_domain: false })
  email!: string;

  @ApiProperty({
    example: 'ada.lovelace',
    pattern: '^[a-z0-9_.-]{3,32}$',
    description: 'ASCII only, so look-alike (confusable) names cannot be registered',
  })
  @IsString()
  @Matches(/^[a-z0-9_.-]{3,32}$/, { message: 'username must be 3–32 characters of a-z, 0-9, _, . or -' })
  username!: string;

  @PasswordField({ isNew: true, example: 'correct horse battery staple' })
  password!: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(trimLower)
  @IsString()
  @MaxLength(254)
  @Matches(NO_CONTROL, { message: 'email must not contain control characters' })
  email!: string;

  @PasswordField({ isNew: false, example: 'correct horse battery staple' })
  password!: string;

  @DeviceTokenField(
    'The device token an earlier sign-in of this account answered (API clients; browsers send the `__Host-device` cookie instead). A valid one counts failures under this device, which failures from elsewhere never lock out.',
  )
  deviceToken?: string;
}

export class ChangePasswordDto {
  @PasswordField({ isNew: false, example: 'correct horse battery staple' })
  currentPassword!: string;

  @PasswordField({ isNew: true, example: 'glacier mango tulip rocket' })
  newPassword!: string;
}

/**
 * Exactly one proof, to renew the session's recent authentication (step-up): the password, or a second factor (a
 * TOTP code or a recovery code), which also makes the session `aal2`.
 */
const EXACTLY_ONE_OF_PROOF = exactlyOneOf('proof');

export class ReauthenticateDto {
  @ApiProperty({ required: false, ...EXACTLY_ONE_OF_PROOF })
  @PasswordField({ isNew: false, example: 'correct horse battery staple' })
  @IsOptional()
  password?: string;

  @ApiProperty({
    required: false,
    example: '492039',
    pattern: '^[0-9]{6}$',
    description: 'A current TOTP code',
    ...EXACTLY_ONE_OF_PROOF,
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'totp must be 6 digits' })
  totp?: string;

  @ApiProperty({
    required: false,
    example: 'k7mq-2xvd-9rtp',
    maxLength: 32,
    description: 'One of the recovery codes (spent by this use)',
    ...EXACTLY_ONE_OF_PROOF,
  })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  recoveryCode?: string;
}

export class SuggestPasswordDto {
  @ApiProperty({ type: 'integer', minimum: 16, maximum: 64, example: 20 })
  @Type(() => Number)
  @IsInt()
  @Min(16)
  @Max(64)
  length!: number;
}

export class TokenDto {
  @ApiProperty({
    example: 'k2N0a8Xv1pQm7ZrT4yW9bL3cH6jF0sD5gE2uN8oA1iK',
    pattern: OPAQUE_TOKEN.source,
    description: 'The token from the mail link',
  })
  @IsString()
  @Matches(OPAQUE_TOKEN, { message: 'token is malformed' })
  token!: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(trimLower)
  @IsString()
  @MaxLength(254)
  @IsEmail({ require_tld: false })
  email!: string;
}

export class ResetPasswordDto extends TokenDto {
  @PasswordField({ isNew: true, example: 'glacier mango tulip rocket' })
  newPassword!: string;
}

export class ChangeScopesDto {
  @ApiProperty({ type: [String], enum: ALL_SCOPES, example: ['keys:verify'], required: false })
  @ValidateIf((_o, v) => v !== undefined)
  @IsArray()
  @ArrayMaxSize(20)
  @IsIn(ALL_SCOPES, { each: true })
  add: string[] = [];

  @ApiProperty({ type: [String], enum: ALL_SCOPES, example: [], required: false })
  @ValidateIf((_o, v) => v !== undefined)
  @IsArray()
  @ArrayMaxSize(20)
  @IsIn(ALL_SCOPES, { each: true })
  remove: string[] = [];
}
