import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { AccountData, AccountDataPart, ErasureSubject, Principal } from '@app/core';
import type { EntityManager } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { bearer, registerAndLogin } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { createKey } from '../support/key-helpers';

/**
 * A context the profiles lib has never heard of (MFA, say) joins export and erasure by registering a part with core's
 * AccountData, from its own module. Its erasure reports whether the account still existed when it ran (the account
 * goes last) and can be made to fail, to show every part runs in the erasure's one transaction.
 */
@Injectable()
class ProbePart implements AccountDataPart, OnModuleInit {
  readonly name = 'probe';
  readonly order = 25;
  failNextErase = false;
  erased: { subject: ErasureSubject; accountStillThere: boolean; xid: string }[] = [];

  constructor(private readonly registry: AccountData) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  export(p: Principal): Promise<unknown> {
    return Promise.resolve({ factors: [], owner: p.userId });
  }

  async erase(subject: ErasureSubject, em: EntityManager): Promise<void> {
    if (this.failNextErase) {
      this.failNextErase = false;
      throw new Error('probe erasure failed');
    }
    const rows: unknown[] = await em.query('SELECT 1 FROM users WHERE id = $1', [subject.userId]);
    const [{ xid }] = (await em.query('SELECT (txid_current() % 4294967296)::text AS xid')) as { xid: string }[];
    this.erased.push({ subject, accountStillThere: rows.length === 1, xid });
  }
}

@Module({ providers: [ProbePart] })
class ProbeContextModule {}

describe('Export and erasure through AccountData (each context registers its part)', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, imports: [ProbeContextModule] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('registers every context holding personal data, in one order; the export document follows it', async () => {
    expect(
      t.app
        .get(AccountData)
        .list()
        .map((p) => `${p.order} ${p.name}`),
    ).toEqual([
      '10 account',
      '20 profile',
      '25 probe',
      '30 apiKeys',
      '40 sessions',
      '42 signInSources',
      '45 outbox',
      '50 auditEvents',
    ]);
    const u = await registerAndLogin(t);
    await createKey(t, u.token, { name: 'export key' });
    // Straight fetch: the probe's part is not in the documented schema the answer checker holds answers to.
    const res = await fetch(`${t.url}/v1/profiles/me/export`, { headers: bearer(u.token) });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown> & { auditEvents: unknown[] };
    expect(Object.keys(doc)).toEqual([
      'exportedAt',
      'account',
      'profile',
      'probe',
      'apiKeys',
      'sessions',
      'signInSources',
      'auditEvents',
    ]);
    expect(doc.probe).toEqual({ factors: [], owner: u.userId });
    const [event] = await adminQuery<{ details: unknown }>(
      db,
      `SELECT details FROM audit_events WHERE action = 'profile.export' AND actor_id = $1`,
      [u.userId],
    );
    expect(event.details).toEqual({ apiKeys: 1, auditEvents: doc.auditEvents.length });
  });

  it('erases every part in one transaction: one failing part leaves everything as it was', async () => {
    const u = await registerAndLogin(t);
    const probe = t.app.get(ProbePart);
    const erase = () =>
      t.request('/v1/profiles/me', {
        method: 'DELETE',
        headers: { ...bearer(u.token), 'content-type': 'application/json' },
        body: JSON.stringify({ password: u.user.password }),
      });
    const mine = async () => ({
      users: (await adminQuery(db, 'SELECT 1 FROM users WHERE id = $1', [u.userId])).length,
      audit: (await adminQuery(db, 'SELECT 1 FROM audit_events WHERE actor_id = $1', [u.userId])).length,
      mail: (await adminQuery(db, 'SELECT 1 FROM outbox_messages WHERE recipient = $1', [u.user.email])).length,
    });
    const before = await mine();
    expect(before.users).toBe(1);
    expect(before.audit).toBeGreaterThanOrEqual(2);
    expect(before.mail).toBeGreaterThanOrEqual(1);

    probe.failNextErase = true;
    expect((await erase()).status).toBe(500);
    expect(await mine()).toEqual(before);
    expect(
      await adminQuery(db, `SELECT 1 FROM audit_events WHERE action = 'account.erase' AND target_id LIKE 'erased-%'`),
    ).toHaveLength(0);

    const res = await erase();
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { pseudonym: string; auditEventsPseudonymised: number };
    expect(await mine()).toEqual({ users: 0, audit: 0, mail: 0 });
    expect(probe.erased).toEqual([
      {
        subject: { userId: u.userId, email: u.user.email, pseudonym: answer.pseudonym },
        accountStillThere: true,
        xid: expect.any(String),
      },
    ]);
    const [event] = await adminQuery<{ details: unknown; xmin: string }>(
      db,
      `SELECT details, xmin::text FROM audit_events WHERE action = 'account.erase' AND target_id = $1`,
      [answer.pseudonym],
    );
    // The parts and the audit event of the erasure were written by one transaction.
    expect(event.xmin).toBe(probe.erased[0].xid);
    expect(event.details).toEqual({ auditEventsPseudonymised: answer.auditEventsPseudonymised, v1EventsKept: 0 });
    expect(answer.auditEventsPseudonymised).toBeGreaterThanOrEqual(before.audit);
  });
});
