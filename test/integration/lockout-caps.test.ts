import { DataSource } from 'typeorm';
import {
  DEVICE_TOKENS_PER_USER,
  KNOWN_SOURCES_PER_USER,
  LockoutRepository,
} from '../../libs/auth/src/lockout/lockout.repository';
import { startTestApp, TestApp } from '../support/app';
import { registerAndLogin } from '../support/auth-helpers';
import { adminQuery } from '../support/database';

/** The per-user caps on remembered devices and networks, as the statements keep them on real PostgreSQL. */
describe('lockout caps (real PostgreSQL)', () => {
  let t: TestApp;
  let repo: LockoutRepository;
  let ds: DataSource;
  beforeAll(async () => {
    t = await startTestApp();
    repo = t.app.get(LockoutRepository, { strict: false });
    ds = t.app.get(DataSource);
  });
  afterAll(() => t?.stop());

  const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 12, minute));
  const devices = (userId: string) =>
    adminQuery<{ id: string; revoked_at: Date | null }>(
      t.db,
      'SELECT id, revoked_at FROM device_tokens WHERE user_id = $1 ORDER BY last_used_at DESC, id',
      [userId],
    );

  it('keeps a user’s newest devices up to the cap, the new one always, revoked ones dropped first', async () => {
    const { userId } = await registerAndLogin(t);
    await adminQuery(t.db, 'DELETE FROM device_tokens WHERE user_id = $1', [userId]);
    const ids: string[] = [];
    for (let i = 0; i < DEVICE_TOKENS_PER_USER; i++)
      ids.push(await ds.transaction((em) => repo.insertDevice(em, userId, `digest-${i}`, at(i), at(i + 600))));
    expect((await devices(userId)).length).toBe(DEVICE_TOKENS_PER_USER);
    // One more: the oldest goes, the new one stays.
    const newest = await ds.transaction((em) => repo.insertDevice(em, userId, 'digest-new', at(100), at(700)));
    let rows = await devices(userId);
    expect(rows.length).toBe(DEVICE_TOKENS_PER_USER);
    expect(rows[0].id).toBe(newest);
    expect(rows.map((r) => r.id)).not.toContain(ids[0]);
    // A revoked device is dropped before any live one.
    await adminQuery(t.db, 'UPDATE device_tokens SET revoked_at = now() WHERE id = $1', [ids[10]]);
    const another = await ds.transaction((em) => repo.insertDevice(em, userId, 'digest-another', at(101), at(701)));
    rows = await devices(userId);
    expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining([another, newest, ids[1]]));
    expect(rows.map((r) => r.id)).not.toContain(ids[10]);
    expect(rows.length).toBe(DEVICE_TOKENS_PER_USER);
  });

  it('keeps a user’s most recent networks up to the cap; a known network is refreshed, not added', async () => {
    const { userId } = await registerAndLogin(t);
    await adminQuery(t.db, 'DELETE FROM known_sources WHERE user_id = $1', [userId]);
    const nets = Array.from({ length: KNOWN_SOURCES_PER_USER + 2 }, (_, i) => `198.51.${i}.0/24`);
    for (const [i, net] of nets.entries()) await ds.transaction((em) => repo.rememberNetwork(em, userId, net, at(i)));
    // Twelve networks: the two oldest were dropped as the 11th and 12th came. A known one signs in again: refreshed
    // (an older success never rewinds it), no row added.
    await ds.transaction((em) => repo.rememberNetwork(em, userId, nets[2], at(50)));
    await ds.transaction((em) => repo.rememberNetwork(em, userId, nets[2], at(40)));
    const rows = await adminQuery<{ network: string; last_success_at: Date }>(
      t.db,
      'SELECT network, last_success_at FROM known_sources WHERE user_id = $1 ORDER BY last_success_at DESC',
      [userId],
    );
    expect(rows.length).toBe(KNOWN_SOURCES_PER_USER);
    expect(rows[0]).toEqual({ network: nets[2], last_success_at: at(50) });
    expect(rows.map((r) => r.network)).not.toContain(nets[0]);
    expect(rows.map((r) => r.network)).not.toContain(nets[1]);
  });
});
