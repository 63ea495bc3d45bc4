import { startTestApp, TestApp } from '../support/app';
import { bearer, registerAndLogin } from '../support/auth-helpers';
import { adminQuery } from '../support/database';

/**
 * Races the controls must win (the others live beside their features: lockout in auth-lockout.e2e, rotations, key
 * limit and quota in api-keys.e2e, registrations in auth.e2e, migrations in migrations.test).
 */
describe('races (real PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it('parallel profile updates of different fields lose none of them (first write included)', async () => {
    // Three fresh users: the first write of a profile is the narrowest window (two inserts of one row).
    for (let round = 0; round < 3; round++) await updateRace();
  });

  async function updateRace(): Promise<void> {
    const { token, userId } = await registerAndLogin(t);
    const fields: Record<string, unknown>[] = [
      { displayName: 'Ada' },
      { phone: '+44 20 7946 0958' },
      { address: '12 St James Square' },
      { dateOfBirth: '1815-12-10' },
      { ssn: '123-45-6789' },
      { cardNumber: '4242 4242 4242 4242' },
      { medicalInfo: { allergies: ['none'] } },
    ];
    const put = (body: Record<string, unknown>) =>
      t.request('/v1/profiles/me', {
        method: 'PUT',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const answers = await Promise.all(fields.map(put));
    expect(answers.map((r) => r.status)).toEqual(fields.map(() => 200));
    const profile = (await (
      await t.request('/v1/profiles/me?reveal=true', { headers: bearer(token) })
    ).json()) as Record<string, unknown>;
    expect(profile).toMatchObject({
      displayName: 'Ada',
      phone: '+44 20 7946 0958',
      address: '12 St James Square',
      dateOfBirth: '1815-12-10',
      ssn: '123-45-6789',
      cardNumber: '4242424242424242',
      medicalInfo: { allergies: ['none'] },
    });
    expect(
      await adminQuery(t.db, `SELECT 1 FROM audit_events WHERE action = 'profile.update' AND target_id = $1`, [userId]),
    ).toHaveLength(fields.length);
  }
});
