import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '@app/core';
import { AUDIT_ACTOR_TYPES, AUDIT_OUTCOMES } from '../entities/audit-event.entity';
import type { AuditActorType, AuditOutcome } from '../entities/audit-event.entity';

/** An audit event as the API shows it (no chain hashes, target or user agent). */
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
    description: 'Client address of the request; null when unknown or erased',
    example: '203.0.113.7',
  })
  ip!: string | null;

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
}

export const AuditEventPage = PageOf(AuditEventView, 'Events, newest first; `nextCursor` is the id of the last one');
