import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AuditService } from '@app/audit';
import { RandomSource } from '@app/crypto';
import { AppConfig, Clock } from '@app/core';
import { NotificationsService } from '@app/notifications';
import type { EntityManager } from 'typeorm';
import { authMails } from '../auth.mails';
import type { SignInSourcesView } from '../dto/session.response';
import { AuthRepository } from '../auth.repository';
import { newOpaqueToken, OPAQUE_TOKEN, tokenDigest } from '../tokens';
import { AttemptRow, LockoutRepository, LockoutRules } from './lockout.repository';
import { LockoutSource, networkOf, sourceKey } from './source-key';

/**
 * Whose attempts are counted: an account, or the decoy standing in for an address without one (by its SHA-256).
 * `factor` (e.g. `totp`) counts another factor's failures on rows of their own; without it they share the password's.
 */
export type LockoutSubject = { userId: string; factor?: string } | { addressHash: Buffer };

/** Where an attempt comes from, and whether that source is trusted for the subject (see `sourceOf`). */
export interface AttemptSource {
  source: LockoutSource;
  /** A device token of the account, a network it signed in from, or a signed-in session: not held back by failures elsewhere. */
  trusted: boolean;
  /** The client network (remembered at a successful sign-in). */
  network: string;
}

export type LockoutVerdict = 'ok' | 'wrong' | 'locked';

/** The account-wide row every untrusted source of a subject also counts on. */
const UNTRUSTED = 'untrusted';
const ACCOUNT_WINDOW_MINUTES = 60;
const ACCOUNT_MAX_LOCK_MINUTES = 24 * 60;
const DAY_MS = 86_400_000;

/** The key of the decoy row that stands in for an address without an account. */
export function addressHash(email: string): Buffer {
  return createHash('sha256').update(email).digest();
}

function subjectKey(subject: LockoutSubject): string {
  if (!('userId' in subject)) return `addr:${subject.addressHash.toString('hex')}`;
  return subject.factor ? `user:${subject.userId}#${subject.factor}` : `user:${subject.userId}`;
}

/** The lockout subject of an account: its rows are this key (password) and `<key>#<factor>` (other factors). */
export function accountLockoutSubject(userId: string): string {
  return subjectKey({ userId });
}

/** A made-up user id for a decoy's trust lookup (same statement as an account's; it matches nothing). */
function lookupId(subject: LockoutSubject): string {
  if ('userId' in subject) return subject.userId;
  const h = subject.addressHash.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Failed-login lockout per (account, source) — issue 18, "no lock-anyone". A source is a device (a valid device token
 * of the account) or else the client's network (/24, /64). After LOCKOUT_MAX_ATTEMPTS failures in the window a source
 * is locked out of that account for LOCKOUT_DURATION_MINUTES. Untrusted sources (neither a device of the account nor
 * a network it signed in from) also count on one account-wide row: past LOCKOUT_UNTRUSTED_MAX_ATTEMPTS an hour the
 * account refuses every untrusted source, with a lock that doubles each time (up to a day), and the owner is mailed
 * once. Trusted sources never see the account-wide lock. Attempts are reserved atomically before the verification,
 * so parallel guesses never run more verifications than the limits allow.
 */
@Injectable()
export class LoginLockout {
  constructor(
    private readonly repo: LockoutRepository,
    private readonly users: AuthRepository,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
  ) {}

  sourceRules(): LockoutRules {
    const env = this.config.env;
    return {
      maxAttempts: env.LOCKOUT_MAX_ATTEMPTS,
      windowMinutes: env.LOCKOUT_WINDOW_MINUTES,
      lockMinutes: env.LOCKOUT_DURATION_MINUTES,
      maxLockMinutes: env.LOCKOUT_DURATION_MINUTES,
    };
  }

  accountRules(): LockoutRules {
    const env = this.config.env;
    return {
      maxAttempts: env.LOCKOUT_UNTRUSTED_MAX_ATTEMPTS,
      windowMinutes: ACCOUNT_WINDOW_MINUTES,
      lockMinutes: env.LOCKOUT_DURATION_MINUTES,
      maxLockMinutes: ACCOUNT_MAX_LOCK_MINUTES,
    };
  }

  /**
   * The source of a sign-in attempt: the device when `deviceToken` is a live token of this account (a token of another
   * account counts for nothing), else the client network; trusted when a device, or a network the account signed in
   * from within DEVICE_TOKEN_DAYS. One statement, the same for an account and a decoy.
   */
  async sourceOf(subject: LockoutSubject, client: { ip?: string; deviceToken?: string }): Promise<AttemptSource> {
    const now = this.clock.now();
    const network = networkOf(client.ip);
    const token = client.deviceToken && OPAQUE_TOKEN.test(client.deviceToken) ? client.deviceToken : '';
    const since = new Date(now.getTime() - this.config.env.DEVICE_TOKEN_DAYS * DAY_MS);
    const facts = await this.repo.trust(lookupId(subject), tokenDigest(token), network, now, since);
    if (facts.deviceId) return { source: { kind: 'device', deviceId: facts.deviceId }, trusted: true, network };
    return { source: { kind: 'network', network }, trusted: facts.knownNetwork, network };
  }

  /**
   * The source of a password check by a signed-in person (password change, reauthenticate, erasure): the device the
   * session signed in with, trusted (the session proved the password before; a stolen session changing networks stays
   * one source). Without one (an API key, a session older than device tokens) the client network, untrusted, so
   * rotating networks only spends the account-wide allowance.
   */
  async sourceOfSession(sessionId: string | undefined, ip: string | undefined): Promise<AttemptSource> {
    const network = networkOf(ip);
    const deviceId = sessionId ? await this.repo.deviceOfSession(sessionId) : null;
    if (deviceId) return { source: { kind: 'device', deviceId }, trusted: true, network };
    return { source: { kind: 'network', network }, trusted: false, network };
  }

  /**
   * Runs `verify` under the lockout: one attempt reserved on the source's row (and, for an untrusted source, on the
   * account-wide row) before it; on failure the locks that are due, with their audit rows and the owner's one notice,
   * in one transaction; on success the source's failure run ends. While locked, `verify` is not called: `whenRefused`
   * (e.g. a dummy hash of the same cost) runs instead. For reuse by other factors (e.g. TOTP codes). `hold`: a success
   * keeps its attempt counted until the caller ends the run with `settle` in the transaction that acts on it (the
   * login's password step: settled with the session it issues, or for an account with a second factor only once the
   * factor is proven, so a stolen password cannot reset the count between factor guesses).
   */
  async attemptWithLockout(
    subject: LockoutSubject,
    source: AttemptSource,
    verify: () => Promise<boolean>,
    opts: { whenRefused?: () => Promise<unknown>; hold?: boolean } = {},
  ): Promise<LockoutVerdict> {
    const own: AttemptRow = { subject: subjectKey(subject), source: sourceKey(source.source) };
    const account: AttemptRow | undefined = source.trusted ? undefined : { subject: own.subject, source: UNTRUSTED };
    let refused = (await this.reserve(own, this.sourceRules())) === 'locked';
    if (!refused && account) refused = (await this.reserve(account, this.accountRules())) === 'locked';
    if (refused) {
      await opts.whenRefused?.();
      await this.fail(subject, own, account);
      return 'locked';
    }
    if (await verify()) {
      if (!opts.hold) await this.repo.transaction((em) => this.succeeded(em, own, account));
      return 'ok';
    }
    await this.fail(subject, own, account);
    return 'wrong';
  }

  /**
   * Ends a held success (see `attemptWithLockout`'s `hold`), in the caller's transaction: the source's failure run
   * cleared, the attempt it reserved on the account-wide row (an untrusted source) given back.
   */
  settle(em: EntityManager, subject: LockoutSubject, source: AttemptSource): Promise<void> {
    const own: AttemptRow = { subject: subjectKey(subject), source: sourceKey(source.source) };
    return this.succeeded(em, own, source.trusted ? undefined : { subject: own.subject, source: UNTRUSTED });
  }

  private async succeeded(em: EntityManager, own: AttemptRow, account?: AttemptRow): Promise<void> {
    await this.repo.clear(own, em);
    if (account) await this.repo.release(account, em);
  }

  /** After a failure or refusal: the locks now due, each with its audit row; the owner's notice at an account lock. */
  private async fail(subject: LockoutSubject, own: AttemptRow, account?: AttemptRow): Promise<void> {
    const now = this.clock.now();
    await this.repo.transaction(async (em) => {
      const sourceLocked = await this.repo.lockIfLimitReached(own, now, this.sourceRules(), em);
      const level = account ? await this.repo.lockIfLimitReached(account, now, this.accountRules(), em) : 0;
      if (!('userId' in subject)) return;
      if (sourceLocked)
        await this.auditLock(em, subject.userId, {
          scope: 'source',
          source: own.source,
          attempts: this.config.env.LOCKOUT_MAX_ATTEMPTS,
          minutes: this.config.env.LOCKOUT_DURATION_MINUTES,
        });
      if (!level) return;
      const rules = this.accountRules();
      const minutes = Math.min(rules.maxLockMinutes, rules.lockMinutes * 2 ** (level - 1));
      await this.auditLock(em, subject.userId, { scope: 'untrusted', attempts: rules.maxAttempts, minutes, level });
      if (level === 1) await this.notifyOwner(em, subject.userId, minutes);
    });
  }

  private auditLock(em: EntityManager, userId: string, details: Record<string, unknown>): Promise<unknown> {
    return this.audit.record(
      {
        action: 'auth.lockout',
        outcome: 'success',
        actorType: 'system',
        targetType: 'user',
        targetId: userId,
        details,
      },
      em,
    );
  }

  /** Once per streak of account-wide locks (the first; a streak ends after a quiet day). */
  private async notifyOwner(em: EntityManager, userId: string, minutes: number): Promise<void> {
    const user = await this.users.findById(userId, em);
    if (!user) return;
    await this.notifications.enqueueEmailLimited(
      em,
      { kind: 'auth.untrusted_lockout', to: user.email, ...authMails.untrustedLockout(this.config.publicUrl, minutes) },
      this.config.env.AUTH_MAILS_PER_HOUR,
    );
  }

  /**
   * Reserves an attempt; while the limit is taken by attempts still being verified, waits for them (up to ~2 s)
   * instead of refusing, so parallel correct logins succeed and parallel wrong ones never exceed the limit.
   */
  private async reserve(row: AttemptRow, rules: LockoutRules): Promise<'locked' | { attempt: number }> {
    for (let i = 0; i < 40; i++) {
      const r = await this.repo.reserve(row, this.clock.now(), rules);
      if (r !== 'busy') return r;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return 'locked';
  }

  /**
   * At a successful sign-in (in its transaction): the device token the client keeps — the presented one renewed when
   * it is this account's, else a new one — and the network remembered as trusted for this account.
   */
  async rememberSignIn(
    em: EntityManager,
    userId: string,
    source: AttemptSource,
    presented: string | undefined,
  ): Promise<{ deviceToken: string; deviceId: string }> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.env.DEVICE_TOKEN_DAYS * DAY_MS);
    await this.repo.rememberNetwork(em, userId, source.network, now);
    if (source.source.kind === 'device' && presented) {
      await this.repo.renewDevice(em, source.source.deviceId, now, expiresAt);
      return { deviceToken: presented, deviceId: source.source.deviceId };
    }
    const deviceToken = newOpaqueToken(this.random);
    const deviceId = await this.repo.insertDevice(em, userId, tokenDigest(deviceToken), now, expiresAt);
    return { deviceToken, deviceId };
  }

  /**
   * Whether this source is a device of the account that completed a sign-in with a second factor within
   * MFA_REMEMBER_DEVICE_DAYS (0: never), so its sign-in may skip the factor step.
   */
  async remembersSecondFactor(source: AttemptSource): Promise<boolean> {
    const days = this.config.env.MFA_REMEMBER_DEVICE_DAYS;
    if (days <= 0 || source.source.kind !== 'device') return false;
    const at = await this.repo.secondFactorAt(source.source.deviceId);
    return !!at && at.getTime() > this.clock.now().getTime() - days * DAY_MS;
  }

  /** A sign-in with this device proved a second factor (in its transaction). */
  rememberSecondFactor(em: EntityManager, deviceId: string): Promise<void> {
    return this.repo.rememberSecondFactor(em, deviceId, this.clock.now());
  }

  /** The user's factors changed (added, removed, reset): every device of theirs asks for a factor again. */
  forgetSecondFactors(em: EntityManager, userId: string): Promise<void> {
    return this.repo.forgetSecondFactors(em, userId);
  }

  /**
   * Recovery evicts: every device token of the account revoked (but the one of `keepSession`, the session asking to
   * sign out everything else), its remembered networks and failure counters forgotten.
   */
  async revokeDevices(em: EntityManager, userId: string, keepSession?: string): Promise<number> {
    const keep = keepSession ? await this.repo.deviceOfSession(keepSession) : null;
    await this.repo.clearSubject(subjectKey({ userId }), em);
    return this.repo.revokeDevices(em, userId, this.clock.now(), keep);
  }

  /** Erasure: the account's counters (its device tokens and networks go with the user row). */
  async forget(em: EntityManager, userId: string): Promise<void> {
    await this.repo.clearSubject(subjectKey({ userId }), em);
  }

  /** My live device tokens (no token, no digest) and remembered networks, for the account export. */
  async signInSources(userId: string): Promise<SignInSourcesView> {
    const { devices, networks } = await this.repo.listForUser(userId, this.clock.now());
    return {
      devices: devices.map((d) => ({
        id: d.id,
        createdAt: d.createdAt.toISOString(),
        lastUsedAt: d.lastUsedAt.toISOString(),
        expiresAt: d.expiresAt.toISOString(),
      })),
      networks: networks.map((n) => ({ network: n.network, lastSuccessAt: n.lastSuccessAt.toISOString() })),
    };
  }
}
