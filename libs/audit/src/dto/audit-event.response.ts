import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '@app/core';
import { AUDIT_ACTOR_TYPES, AUDIT_OUTCOMES } from '../entities/audit-event.entity';
import type { AuditActorType, AuditOutcome } from '../entities/audit-event.entity';

/** An audit event as the API shows it (never the chain hashes, digests or salts). */
export class AuditEventView {
  @ApiProperty({
    description: 'Sequence number of the event in the chain (a bigint, as a string); newer events have larger ids',
    example: '18342',
  })
  id!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T09:15:00.000Z' })
  occurredAt!: string;

  @ApiProperty({ description: 'What happened, `<object>.<verb>`', example: 'api_key.create' })
  action!: string;

  @ApiProperty({ enum: AUDIT_OUTCOMES, example: 'success' })
  outcome!: AuditOutcome;

  @ApiProperty({
    enum: AUDIT_ACTOR_TYPES,
    example: 'user',
    description: 'Who acted: a signed-in user, an API key (on behalf of its owner), the system (jobs) or nobody known',
  })
  actorType!: AuditActorType;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'The acting user (for an API key, its owner); a pseudonym after erasure; null for system and anonymous events',
    example: '6cf5cc0c-fe00-40ac-9752-930e72e6b6f7',
  })
  actorId!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Kind of object the event is about (`user`, `api_key`, `session`, `certificate` …)',
    example: 'api_key',
  })
  targetType!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The object the event is about; a pseudonym after erasure when it was the erased user',
    example: '5e419f66-fe3b-4b0d-92e1-388db75b8dde',
  })
  targetId!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Client address of the request; null when unknown or erased',
    example: '203.0.113.7',
  })
  ip!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'User agent of the request; null when unknown or erased',
    example: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/145.0',
  })
  userAgent!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The `X-Request-Id` of the request that caused the event; null outside a request',
    example: '1205ee09-53a1-4f4a-9fae-9b2e9ea87d19',
  })
  requestId!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Free-form facts about the event, depending on the action (empty after erasure)',
    example: {
      keyId: 'VVKj7SPbfjaN',
      scopes: ['certificates:read', 'profiles:read'],
      environment: 'live',
      expiresAt: '2027-02-21T09:15:00.000Z',
    },
  })
  details!: Record<string, unknown>;

  @ApiProperty({
    description:
      'The person this event named asked for erasure: their id is a pseudonym and IP, user agent and details are cleared',
    example: false,
  })
  redacted!: boolean;
}

export const AuditEventPage = PageOf(AuditEventView, 'Events, newest first');

/** One entry of a person's security log (GET /me/security-activity). */
export class SecurityEventView {
  @ApiProperty({ example: '18342' })
  id!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-23T09:15:00.000Z' })
  occurredAt!: string;

  @ApiProperty({ example: 'auth.login' })
  action!: string;

  @ApiProperty({ enum: AUDIT_OUTCOMES, example: 'success' })
  outcome!: AuditOutcome;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/145.0' })
  userAgent!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Sign-ins: the factor proved (`password`, or the second factor when one was used)',
    example: 'password',
  })
  factor!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Failures: why (`wrong_password`, `locked`, …)',
    example: null,
  })
  reason!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Key events: the key’s public id',
    example: 'VVKj7SPbfjaN',
  })
  keyId!: string | null;

  @ApiProperty({ description: 'Erased: IP, user agent and details are gone', example: false })
  redacted!: boolean;
}

/** What GitHub's security log shows a person: sign-ins, key events, password and factor changes, newest first. */
export class SecurityActivityView {
  @ApiProperty({ type: () => SecurityEventView, isArray: true, description: 'Sign-ins and failed attempts' })
  signIns!: SecurityEventView[];

  @ApiProperty({ type: () => SecurityEventView, isArray: true, description: 'API keys created, rotated, revoked' })
  apiKeys!: SecurityEventView[];

  @ApiProperty({
    type: () => SecurityEventView,
    isArray: true,
    description: 'Password changes and resets, email and second-factor changes',
  })
  credentials!: SecurityEventView[];
}
