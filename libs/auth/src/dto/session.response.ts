import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '@app/core';

/** One of the user's active sessions. */
export class SessionView {
  @ApiProperty({ format: 'uuid', example: '51bf61f0-fa79-4e3b-8db7-7ba1be14f1ec' })
  id!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-23T09:15:00.000Z',
    description: 'When the login happened',
  })
  createdAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-23T10:42:00.000Z',
    description: 'Last use (updated at most once a minute)',
  })
  lastSeenAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-24T09:15:00.000Z',
    description: 'Absolute expiry',
  })
  expiresAt!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '203.0.113.42',
    description: 'Client address at login, if known',
  })
  ip!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
    description: 'User-Agent at login (first 300 characters), if sent',
  })
  userAgent!: string | null;

  @ApiProperty({
    enum: ['aal1', 'aal2'],
    example: 'aal2',
    description: 'Authenticator assurance: `aal1` password only, `aal2` password and a second factor',
  })
  aal!: 'aal1' | 'aal2';

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-23T09:15:00.000Z',
    description: 'When the session last proved the password or a factor (login or reauthenticate)',
  })
  authenticatedAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-23T09:15:00.000Z',
    description: 'When the session last proved a second factor; null: never',
  })
  secondFactorAt!: string | null;

  @ApiProperty({ example: true, description: 'Whether this is the session making the request' })
  current!: boolean;
}

export const SessionPage = PageOf(
  SessionView,
  'Active sessions, newest first: all of them, in one page (a user holds at most SESSION_MAX_PER_USER, default 20; a login beyond it ends the oldest)',
);

/** How many sessions an action ended. */
export class SessionsEndedView {
  @ApiProperty({ type: 'integer', example: 2, description: 'Sessions ended by this action' })
  sessionsEnded!: number;
}

/** A device token of mine, as the export shows it (never the token or its digest). */
export class DeviceTokenView {
  @ApiProperty({ format: 'uuid', example: '0b8e3f1c-8a0e-4f55-9e37-0d8f0f1f6b1a' })
  id!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T09:15:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-29T18:02:00.000Z' })
  lastUsedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2027-02-27T18:02:00.000Z' })
  expiresAt!: string;
}

/** A client network I signed in from (trusted for my logins). */
export class KnownNetworkView {
  @ApiProperty({ example: '198.51.100.0/24', description: 'The /24 (IPv4) or /64 (IPv6) network' })
  network!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-29T18:02:00.000Z' })
  lastSuccessAt!: string;
}

/** What makes a sign-in trusted for my account: my live device tokens and the networks I signed in from. */
export class SignInSourcesView {
  @ApiProperty({ type: () => [DeviceTokenView] })
  devices!: DeviceTokenView[];

  @ApiProperty({ type: () => [KnownNetworkView] })
  networks!: KnownNetworkView[];
}
