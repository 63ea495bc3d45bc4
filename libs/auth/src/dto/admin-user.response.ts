import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '@app/core';
import { UserView } from './user.response';

/** A user as an admin sees it in a list. */
export class AdminUserView extends UserView {
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'When an admin disabled the user (null: not disabled)',
  })
  disabledAt!: string | null;

  @ApiProperty({ example: false, description: 'Whether the user has a second factor enrolled' })
  mfa!: boolean;
}

export const AdminUserPage = PageOf(AdminUserView, 'Users, in the requested order');

/** What a user holds, as counts. */
export class UserHoldingsView {
  @ApiProperty({ example: 2, description: 'Active sessions' })
  sessions!: number;

  @ApiProperty({ example: 1, description: 'Live API keys' })
  apiKeys!: number;

  @ApiProperty({ example: 1, description: 'Enrolled second factors' })
  factors!: number;

  @ApiProperty({ example: 3, description: 'Certificates in the inventory' })
  certificates!: number;

  @ApiProperty({ example: 1, description: 'Live device tokens (devices trusted for sign-in)' })
  devices!: number;
}

/** One user in detail: what it holds, its last sign-in, whether some source is locked out of it. */
export class AdminUserDetailView extends AdminUserView {
  @ApiProperty({ type: UserHoldingsView })
  counts!: UserHoldingsView;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-29T08:12:00.000Z',
    description: 'The last successful sign-in (null: none on record)',
  })
  lastSignInAt!: string | null;

  @ApiProperty({ example: false, description: 'Whether a sign-in lockout is in force on the account now' })
  locked!: boolean;

  @ApiProperty({
    type: String,
    format: 'email',
    nullable: true,
    example: null,
    description: 'A new address waiting for its owner to confirm it (null: none)',
  })
  pendingEmail!: string | null;
}

export class UserEnabledView {
  @ApiProperty({ example: true })
  enabled!: true;
}

export class UserUnlockedView {
  @ApiProperty({
    example: 2,
    description: 'Lockout counters cleared (each a source, or every unknown source together)',
  })
  countersCleared!: number;
}

export class ForcedPasswordResetView {
  @ApiProperty({ example: 2, description: 'Sessions ended' })
  sessionsEnded!: number;

  @ApiProperty({ example: true, description: 'Whether a reset mail was queued (false past AUTH_MAILS_PER_HOUR)' })
  mailQueued!: boolean;
}

export class EverythingEndedView {
  @ApiProperty({ example: 2 })
  sessionsEnded!: number;

  @ApiProperty({ example: 1 })
  apiKeysRevoked!: number;

  @ApiProperty({ example: 1 })
  devicesRevoked!: number;
}

export class EmailChangeRequestedView {
  @ApiProperty({ example: 'pending_verification', enum: ['pending_verification'] })
  status!: 'pending_verification';

  @ApiProperty({ example: 'ada.new@example.com', description: 'The address that gets the confirmation link' })
  pendingEmail!: string;
}
