import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { NO_CONTROL_CHARACTERS, PageOf, PageQueryDto } from '@app/core';
import { UserView } from './user.response';

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Email or username prefix (any case)', example: 'ada', maxLength: 254 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'q must not contain control characters' })
  q?: string;

  @ApiPropertyOptional({ enum: ['active', 'disabled'] })
  @IsOptional()
  @IsIn(['active', 'disabled'])
  status?: 'active' | 'disabled';

  @ApiPropertyOptional({ enum: ['user', 'admin'] })
  @IsOptional()
  @IsIn(['user', 'admin'])
  role?: 'user' | 'admin';

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Email address verified' })
  @IsOptional()
  @IsIn(['true', 'false'])
  verified?: 'true' | 'false';
}

/** A user as the admin list shows them. */
export class AdminUserView extends UserView {
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null, description: 'Disabled since' })
  disabledAt!: string | null;
}

export const AdminUserPage = PageOf(AdminUserView, 'Users, newest first');
