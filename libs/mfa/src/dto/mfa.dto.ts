import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { NO_CONTROL_CHARACTERS } from '@app/core';

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

/** The second step of a login: its token and exactly one factor. */
export class LoginMfaDto {
  @ApiProperty({ example: 'mfa_Q2hhbGxlbmdlVG9rZW5FeGFtcGxlRXhhbXBsZUV4YW1w', maxLength: 64 })
  @IsString()
  @MaxLength(64)
  mfaToken!: string;

  @ApiProperty({ required: false, example: '492039', pattern: '^[0-9]{6}$', description: 'A current TOTP code' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'totp must be 6 digits' })
  totp?: string;

  @ApiProperty({ required: false, example: 'k7mq-2xvd-9rtp', maxLength: 32, description: 'One recovery code' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  recoveryCode?: string;
}
