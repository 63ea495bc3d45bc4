import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { OutboxMessage } from './entities/outbox-message.entity';

@Injectable()
export class NotificationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(em: EntityManager, message: Partial<OutboxMessage>): Promise<void> {
    await em.getRepository(OutboxMessage).insert(message as QueryDeepPartialEntity<OutboxMessage>);
  }

  /**
   * Takes the (kind, address) advisory lock for the rest of the caller's transaction, so parallel requests on several
   * instances count right, and answers how many mails of that kind went to the address within the last hour.
   */
  async lockAndCountLastHour(em: EntityManager, recipient: string, kind: string): Promise<number> {
    await em.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`mail:${kind}:${recipient}`]);
    const rows: { n: number }[] = await em.query(
      `SELECT count(*)::int AS n FROM outbox_messages WHERE recipient = $1 AND kind = $2 AND created_at > now() - interval '1 hour'`,
      [recipient, kind],
    );
    return rows[0].n;
  }

  /**
   * Claims due messages in a short transaction (SKIP LOCKED, so several instances never take the same one) by
   * moving their next attempt past a lease; delivery then happens outside any transaction.
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<OutboxMessage[]> {
    return this.dataSource.transaction(async (em) => {
      const batch = await em
        .getRepository(OutboxMessage)
        .createQueryBuilder('m')
        .where('m.status = :status', { status: 'pending' })
        .andWhere('m.nextAttemptAt <= :now', { now })
        .orderBy('m.nextAttemptAt', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      if (batch.length) {
        await em.getRepository(OutboxMessage).update({ id: In(batch.map((m) => m.id)) }, { nextAttemptAt: leaseUntil });
      }
      return batch;
    });
  }

  async saveOutcome(message: OutboxMessage): Promise<void> {
    const { id, status, attempts, nextAttemptAt, deliveredAt, lastError, body } = message;
    await this.dataSource
      .getRepository(OutboxMessage)
      .update({ id }, { status, attempts, nextAttemptAt, deliveredAt, lastError, body });
  }
}
