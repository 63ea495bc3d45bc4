import type { EntityManager } from 'typeorm';
import { fakeAudit } from './audit';
import {
  FakeChangeFeed,
  FakeDatabase,
  ManualClock,
  SequenceRandom,
  transactionOf,
  TransactionalStore,
  unitConfig,
} from './core';
import { fakeNotifications } from './notifications';

/**
 * The unit specs trust these fakes to behave as PostgreSQL and the process would; these are the promises they rely
 * on, so that a fake drifting from them fails here rather than letting a service spec pass for the wrong reason.
 */

/** A one-value table. */
class Cell implements TransactionalStore {
  value = 0;

  constructor(
    private readonly db: FakeDatabase,
    readonly name: string,
  ) {
    db.register(this);
  }

  snapshot(): unknown {
    return this.value;
  }

  restore(state: unknown): void {
    this.value = state as number;
  }

  set(em: EntityManager | undefined, value: number): void {
    this.db.write(this, em, `${this.name} write`);
    this.value = value;
  }
}

const fail = new Error('the change failed');

describe('FakeDatabase', () => {
  it('keeps what a transaction wrote when it resolves and puts it back when it throws', async () => {
    const db = new FakeDatabase();
    const cell = new Cell(db, 'a');
    await db.transaction(async (em) => cell.set(em, 1));
    await expect(
      db.transaction(async (em) => {
        cell.set(em, 2);
        throw fail;
      }),
    ).rejects.toBe(fail);
    expect(cell.value).toBe(1);
    expect([db.commits, db.rollbacks]).toEqual([1, 1]);
  });

  it('a rollback leaves alone what another transaction committed meanwhile (an audit event of its own)', async () => {
    const db = new FakeDatabase();
    const [table, audit] = [new Cell(db, 'table'), new Cell(db, 'audit')];
    await expect(
      db.transaction(async (em) => {
        table.set(em, 1);
        await db.transaction(async (own) => audit.set(own, 1));
        throw fail;
      }),
    ).rejects.toBe(fail);
    expect([table.value, audit.value]).toEqual([0, 1]);
  });

  it('refuses to untangle a store two transactions wrote, and writes through a closed or foreign manager', async () => {
    const db = new FakeDatabase();
    const cell = new Cell(db, 'cell');
    await expect(
      db.transaction(async (em) => {
        cell.set(em, 1);
        cell.set(undefined, 2); // committed at once, beside the open transaction
        throw fail;
      }),
    ).rejects.toThrow('cannot roll back Cell');
    let closed: EntityManager | undefined;
    await db.transaction(async (em) => void (closed = em));
    expect(() => cell.set(closed, 3)).toThrow('cell write ran on a closed transaction');
    await new FakeDatabase().transaction(async (foreign) =>
      expect(() => cell.set(foreign, 4)).toThrow('one of another database'),
    );
  });

  it('numbers every transaction uniquely, across databases', async () => {
    const seen = new Set<number | undefined>();
    for (const db of [new FakeDatabase(), new FakeDatabase()])
      for (let i = 0; i < 2; i++) await db.transaction(async (em) => void seen.add(transactionOf(em)));
    expect(seen.size).toBe(4);
    expect(seen.has(undefined)).toBe(false);
    expect(transactionOf(undefined)).toBeUndefined();
  });
});

describe('FakeChangeFeed', () => {
  it('delivers a publish only when its transaction commits, and emitLocal to subscribers at once', async () => {
    const db = new FakeDatabase();
    const feed = new FakeChangeFeed();
    const heard: (string | undefined)[] = [];
    feed.subscribe('keys', (id) => heard.push(id));
    let committed: number | undefined;
    await db.transaction(async (em) => {
      committed = transactionOf(em);
      await feed.publish(em, 'keys', 'k1');
      expect(feed.delivered).toEqual([]);
    });
    await expect(
      db.transaction(async (em) => {
        await feed.publish(em, 'keys', 'k2');
        throw fail;
      }),
    ).rejects.toBe(fail);
    expect(feed.delivered).toEqual([{ topic: 'keys', id: 'k1', transaction: committed }]);
    await expect(feed.publish(undefined as unknown as EntityManager, 'keys', 'k3')).rejects.toThrow(
      'publish outside an open transaction',
    );
    feed.emitLocal('keys', 'k1');
    feed.emitLocal('users', 'u1');
    expect(heard).toEqual(['k1']);
    expect(feed.local).toEqual([
      { topic: 'keys', id: 'k1' },
      { topic: 'users', id: 'u1' },
    ]);
  });
});

describe('ManualClock and SequenceRandom', () => {
  it('the clock moves only when told', () => {
    const clock = new ManualClock('2026-03-10T12:00:00.000Z');
    const start = clock.nowMs();
    clock.advance(1500);
    clock.advanceMinutes(1);
    expect(clock.nowMs() - start).toBe(61_500);
    clock.set('2026-01-01T00:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('randomness differs on every call, is the same on every run, and is as long as asked', () => {
    const [a, b] = [new SequenceRandom(), new SequenceRandom()];
    const draws = Array.from({ length: 300 }, () => a.bytes(40).toString('hex'));
    expect(new Set(draws).size).toBe(300);
    expect(b.bytes(40).toString('hex')).toBe(draws[0]);
    expect(a.calls).toBe(300);
    expect(new SequenceRandom('other').bytes(40).toString('hex')).not.toBe(draws[0]);
  });
});

describe('in-memory audit and outbox', () => {
  it('remember the caller’s transaction of each write and roll back with it', async () => {
    const db = new FakeDatabase();
    const clock = new ManualClock();
    const { audit, auditRepo } = fakeAudit(db, clock);
    const { notifications, outbox } = fakeNotifications(db, clock, unitConfig());
    const mail = { kind: 'k', to: 'ada@example.com', subject: 's', text: 't' };
    let transaction: number | undefined;
    await db.transaction(async (em) => {
      transaction = transactionOf(em);
      await audit.record({ action: 'in', outcome: 'success' }, em);
      await notifications.enqueueEmail(em, mail);
    });
    await audit.record({ action: 'own', outcome: 'success' });
    await expect(
      db.transaction(async (em) => {
        await audit.record({ action: 'lost', outcome: 'success' }, em);
        await notifications.enqueueEmail(em, mail);
        throw fail;
      }),
    ).rejects.toBe(fail);
    expect(auditRepo.allActions()).toEqual(['in', 'own']);
    expect(auditRepo.rows.map((r) => auditRepo.writtenIn(r))).toEqual([transaction, undefined]);
    expect(outbox.mails().map((m) => outbox.writtenIn(m))).toEqual([transaction]);
  });
});
