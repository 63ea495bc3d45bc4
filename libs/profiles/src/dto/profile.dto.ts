import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  registerDecorator,
  ValidateIf,
  ValidationOptions,
} from 'class-validator';
import { NO_CONTROL_CHARACTERS } from '@app/core';

/** Luhn check over 12–19 digits (spaces and dashes allowed between groups). */
export function luhnValid(value: string): boolean {
  const digits = value.replace(/[ -]/g, '');
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function IsCardNumber(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCardNumber',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'cardNumber must be 12–19 digits that pass the Luhn check', ...options },
      validator: { validate: (v: unknown) => typeof v === 'string' && v.length <= 30 && luhnValid(v) },
    });
}

function JsonSizeAtMost(bytes: number): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'jsonSizeAtMost',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property must be at most ${bytes} bytes of JSON` },
      validator: { validate: (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? '') <= bytes },
    });
}

const nullable = (_o: unknown, v: unknown) => v !== null && v !== undefined;

export class UpdateProfileDto {
  @ApiPropertyOptional({ type: String, maxLength: 100, nullable: true, example: 'Ada Lovelace' })
  @ValidateIf(nullable)
  @IsString()
  @MaxLength(100)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'displayName must not contain control characters' })
  displayName?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: '+44 20 7946 0958' })
  @ValidateIf(nullable)
  @IsString()
  @Matches(/^\+?[0-9 ()-]{6,32}$/, { message: 'phone must be 6–32 digits, spaces, ()- and an optional leading +' })
  phone?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: 300, nullable: true, example: '12 St James Square, London' })
  @ValidateIf(nullable)
  @IsString()
  @MaxLength(300)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'address must not contain control characters' })
  address?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: '1815-12-10', format: 'date' })
  @ValidateIf(nullable)
  @IsISO8601({ strict: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'dateOfBirth must be a date (YYYY-MM-DD)' })
  dateOfBirth?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '123-45-6789',
    description: 'US SSN; stored encrypted, shown masked',
  })
  @ValidateIf(nullable)
  @IsString()
  @Matches(/^(?!000|666|9\d\d)\d{3}-?(?!00)\d{2}-?(?!0000)\d{4}$/, {
    message: 'ssn must be a valid US SSN (AAA-GG-SSSS)',
  })
  ssn?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '4242 4242 4242 4242',
    description: 'Stored encrypted, shown masked',
  })
  @ValidateIf(nullable)
  @IsString()
  @IsCardNumber()
  cardNumber?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    example: { allergies: ['penicillin'] },
    description: 'Stored encrypted, omitted unless revealed (at most 8 KiB)',
  })
  @ValidateIf(nullable)
  @IsObject()
  @JsonSizeAtMost(8192)
  medicalInfo?: Record<string, unknown> | null;
}

export class RevealQueryDto {
  @ApiPropertyOptional({
    description: 'Unmasked sensitive fields (needs profiles:read_sensitive; a session must have signed in recently)',
  })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  reveal?: boolean;
}

export class SsnSearchDto {
  @ApiProperty({ example: '123-45-6789', pattern: '^\\d{3}-?\\d{2}-?\\d{4}$' })
  @IsString()
  @Matches(/^\d{3}-?\d{2}-?\d{4}$/, { message: 'ssn must be AAA-GG-SSSS' })
  ssn!: string;
}

export class EraseDto {
  @ApiProperty({ example: 'correct horse battery staple', description: 'The account password, to confirm' })
  @IsString()
  @MaxLength(128)
  password!: string;
}
