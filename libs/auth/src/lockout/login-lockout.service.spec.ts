import { Logger } from '@nestjs/common';
import { authWorld, AuthWorld, STRONG_PASSWORD } from '../../../../test/fakes/auth';
import { User } from '../entities/user.entity';

/** LoginLockout as another factor (e.g. TOTP codes) reuses it: attemptWithLockout with a verify of its own. */
describe('LoginLockout.attemptWithLockout (reuse by other factors)', () => {
  let w: AuthWorld;
  let ada: User;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    w = await authWorld({ LOCKOUT_MAX_ATTEMPTS: '3', LOCKOUT_UNTRUSTED_MAX_ATTEMPTS: '10' });
    ada = await w.seedUser('ada');
  });

  it('counts a factor on rows of its own; once locked, verify is not called and whenRefused is', async () => {
    const subject = { userId: ada.id, factor: 'totp' };
    const source = await w.lockout.sourceOf(subject, { ip: '192.0.2.10' });
    expect(source).toMatchObject({ source: { kind: 'network', network: '192.0.2.0/24' }, trusted: false });
    const verify = jest.fn(async () => false);
    const whenRefused = jest.fn(async () => undefined);
    const verdicts = [];
    for (let i = 0; i < 5; i++)
      verdicts.push(await w.lockout.attemptWithLockout(subject, source, verify, { whenRefused }));
    expect(verdicts).toEqual(['wrong', 'wrong', 'wrong', 'locked', 'locked']);
    expect(verify).toHaveBeenCalledTimes(3);
    expect(whenRefused).toHaveBeenCalledTimes(2);
    expect(w.tables.attempt(`user:${ada.id}#totp`, 'net:192.0.2.0/24')!.lockedUntil).not.toBeNull();
    expect(w.auditRepo.actions('auth.lockout')).toMatchObject([{ details: { scope: 'source' } }]);
    // The password's rows are not the factor's: a login from the same network still works.
    await expect(
      w.auth.login({ email: ada.email, password: STRONG_PASSWORD }, { ip: '192.0.2.11' }),
    ).resolves.toBeDefined();
    // A right code from another source clears that source's run only; recovery forgets every factor's rows.
    const other = await w.lockout.sourceOf(subject, { ip: '198.18.0.1' });
    expect(await w.lockout.attemptWithLockout(subject, other, async () => true)).toBe('ok');
    await w.db.transaction((em) => w.lockout.revokeDevices(em, ada.id));
    expect([...w.tables.attempts.keys()].filter((k) => k.startsWith(`user:${ada.id}`))).toEqual([]);
  });

  it('a held success stays counted (a password before its second factor) until settled', async () => {
    const subject = { userId: ada.id };
    const source = await w.lockout.sourceOf(subject, { ip: '203.0.113.5' });
    expect(source.trusted).toBe(false);
    const own = () => w.tables.attempt(`user:${ada.id}`, 'net:203.0.113.0/24');
    const untrusted = () => w.tables.attempt(`user:${ada.id}`, 'untrusted');
    // Three right passwords whose factor never came: each holds its attempt, and the source is then refused.
    for (let i = 0; i < 3; i++)
      expect(await w.lockout.attemptWithLockout(subject, source, async () => true, { hold: true })).toBe('ok');
    expect(own()!.failedAttempts).toBe(3);
    expect(untrusted()!.failedAttempts).toBe(3);
    const verify = jest.fn(async () => true);
    expect(await w.lockout.attemptWithLockout(subject, source, verify)).toBe('locked');
    expect(verify).not.toHaveBeenCalled();
    // Settling (the factor proven) clears the source's run and gives back its reservation on the account-wide row.
    const fresh = await w.lockout.sourceOf(subject, { ip: '198.18.7.1' });
    expect(await w.lockout.attemptWithLockout(subject, fresh, async () => true, { hold: true })).toBe('ok');
    expect(untrusted()!.failedAttempts).toBe(4);
    await w.db.transaction((em) => w.lockout.settle(em, subject, fresh));
    expect(w.tables.attempt(`user:${ada.id}`, 'net:198.18.7.0/24')).toBeUndefined();
    expect(untrusted()!.failedAttempts).toBe(3);
  });

  it('a signed-in check counts under the session’s device, trusted, whatever its network', async () => {
    const { principal } = await w.signIn(ada);
    const source = await w.lockout.sourceOfSession(principal.sessionId, '203.0.113.9');
    expect(source).toMatchObject({ source: { kind: 'device' }, trusted: true, network: '203.0.113.0/24' });
    // Without a session device: the network, untrusted (a stolen credential rotating networks stays bounded).
    expect(await w.lockout.sourceOfSession(undefined, '203.0.113.9')).toMatchObject({
      source: { kind: 'network', network: '203.0.113.0/24' },
      trusted: false,
    });
  });
});
