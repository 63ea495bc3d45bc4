import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { OutboxMessage } from './entities/outbox-message.entity';

@Injectable()
export class NotificationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(em: EntityManager, message: Partial<OutboxMessage>): Promise<void> {
    await em.getRepository(OutboxMessage).insert(message as QueryDeepPartialEntity<OutboxMessage>);
  }

  /** Claims due messages for this worker; SKIP LOCKED lets several instances deliver without doubles. */
  async withDueBatch(now: Date, limit: number, fn: (em: EntityManager, batch: OutboxMessage[]) => Promise<void>): Promise<number> {
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
      if (batch.length) await fn(em, batch);
      return batch.length;
    });
  }

  async save(em: EntityManager, message: OutboxMessage): Promise<void> {
    await em.getRepository(OutboxMessage).save(message);
  }
}
