import { ApiProperty } from '@nestjs/swagger';
import { IsBase64, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const CONTEXT = /^[A-Za-z0-9._:/-]{1,100}$/;
const CONTEXT_MESSAGE = 'context must be 1–100 characters of A-Z a-z 0-9 . _ : / -';
const ENVELOPE = /^[A-Za-z0-9_-]{44,}$/;

export class ContextDto {
  @ApiProperty({
    example: 'invoices/2026',
    description: 'Caller-named; part of the AAD, so a ciphertext only decrypts under the same context (and caller)',
  })
  @IsString()
  @Matches(CONTEXT, { message: CONTEXT_MESSAGE })
  context!: string;
}

export class EncryptDto extends ContextDto {
  @ApiProperty({ example: 'aGVsbG8=', description: 'Base64 plaintext (at most 64 KiB decoded)' })
  @IsString()
  @MaxLength(87_384)
  @IsBase64()
  plaintext!: string;
}

export class CiphertextDto extends ContextDto {
  @ApiProperty({
    example: 'AQAAAAGq3Jx9kQ2b7V0pL8mWZ5nRc1YtE4uHfD6sG0aK2wXyTm4vB8eN1oP7iU3sZ5dC',
    pattern: '^[A-Za-z0-9_-]{44,}$',
    description: 'An envelope from /crypto/encrypt or /crypto/rewrap (base64url)',
  })
  @IsString()
  @MaxLength(88_000)
  @Matches(ENVELOPE, { message: 'ciphertext must be an envelope from this service' })
  ciphertext!: string;
}

export class HmacDto extends ContextDto {
  @ApiProperty({ example: 'aGVsbG8=', description: 'Base64 data (at most 64 KiB decoded)' })
  @IsString()
  @MaxLength(87_384)
  @IsBase64()
  data!: string;
}

export class VerifyHmacDto extends HmacDto {
  @ApiProperty({
    example: 'v1.Zm9vYmFyLWV4YW1wbGUtbWFjLW9mLTQzLWNoYXJzLXg',
    pattern: '^v\\d{1,6}\\.[A-Za-z0-9_-]{43}$',
  })
  @IsString()
  @Matches(/^v\d{1,6}\.[A-Za-z0-9_-]{43}$/, { message: 'mac must be a MAC from /crypto/hmac' })
  mac!: string;
}

export class RetireDto {
  @ApiProperty({ type: 'integer', example: 1, description: 'Retire this version and every older one' })
  @IsInt()
  @Min(1)
  @Max(999_999)
  version!: number;
}
