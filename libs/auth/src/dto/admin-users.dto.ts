import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { NO_CONTROL_CHARACTERS, PageQueryDto } from '@app/core';

const trimLower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export const USER_SORTS = ['-createdAt', 'createdAt', 'email', '-email'] as const;
export type UserSort = (typeof USER_SORTS)[number];
export const USER_STATUSES = ['active', 'disabled'] as const;

/** `GET /v1/admin/users`: search, filters, sort and a keyset page. */
export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Users whose email or username starts with this (any case)',
    maxLength: 254,
    example: 'ada',
  })
  @IsOptional()
  @Transform(trimLower)
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'q must not contain control characters' })
  q?: string;

  @ApiPropertyOptional({ enum: USER_STATUSES, description: '`disabled`: disabled by an admin; `active`: not disabled' })
  @IsOptional()
  @IsIn(USER_STATUSES)
  status?: (typeof USER_STATUSES)[number];

  @ApiPropertyOptional({ enum: ['user', 'admin'] })
  @IsOptional()
  @IsIn(['user', 'admin'])
  role?: 'user' | 'admin';

  @ApiPropertyOptional({ description: 'Whether the email address is verified' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  verified?: boolean;

  @ApiPropertyOptional({ description: 'Whether the user has a second factor enrolled' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  mfa?: boolean;

  @ApiPropertyOptional({ enum: USER_SORTS, default: '-createdAt' })
  @IsOptional()
  @IsIn(USER_SORTS)
  sort?: UserSort;
}

/** A new email address (it takes effect once its owner opens the link sent to it). */
export class ChangeEmailDto {
  @ApiProperty({ example: 'ada.new@example.com', maxLength: 254 })
  @Transform(trimLower)
  @IsString()
  @MaxLength(254)
  @IsEmail({ allow_utf8_local_part: false, require_tld: false, allow_ip_domain: false })
  email!: string;
}
