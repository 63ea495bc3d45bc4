import { createHash, randomUUID } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AppConfig, Clock, CredentialRevocation, Principal, StepUpWindow, USER_CHANGES_TOPIC } from '@app/core';
import { SystemRandomSource } from '@app/crypto';
import { AccountService } from '../../libs/auth/src/account.service';
import { AdminUsersService } from '../../libs/auth/src/admin-users.service';
import { EmailChangeService } from '../../libs/auth/src/email-change.service';
import type { AuthRepository } from '../../libs/auth/src/auth.repository';
import {
  DEVICE_TOKENS_PER_USER,
  KNOWN_SOURCES_PER_USER,
  type AttemptRow,
  type LockoutRepository,
  type LockoutRules,
  type TrustFacts,
} from '../../libs/auth/src/lockout/lockout.repository';
import { LoginLockout } from '../../libs/auth/src/lockout/login-lockout.service';
import { AuthService } from '../../libs/auth/src/auth.service';
import type { EmailToken, EmailTokenPurpose } from '../../libs/auth/src/entities/email-token.entity';
import { Session } from '../../libs/auth/src/entities/session.entity';
import { User } from '../../libs/auth/src/entities/user.entity';
import { PasswordHasher } from '../../libs/auth/src/password/password-hasher';
import { HashThreads } from '../../libs/auth/src/password/hash-threads';
import { PasswordPolicy } from '../../libs/auth/src/password/password-policy';
import { PrincipalCache, SESSION_TOPIC } from '../../libs/auth/src/principal-cache';
import { SessionActivity } from '../../libs/auth/src/session-activity';
import type { SessionsRepository, SessionWithUser } from '../../libs/auth/src/sessions.repository';
import { SessionsService } from '../../libs/auth/src/sessions.service';
import type { LoginView } from '../../libs/auth/src/dto/user.response';
import { SecondFactorGates } from '../../libs/auth/src/second-factor-gates';
import { LoginFlow } from '../../libs/auth/src/login-flow.service';
import type { SecondFactorChallenge } from '../../libs/auth/src/second-factor-gates';
import { fakeAudit } from './audit';
import {
  copyRow,
  FakeChangeFeed,
  FakeDatabase,
  ManualClock,
  PublicPart,
  SequenceRandom,
  TransactionalStore,
  unitConfig,
} from './core';
import { fakeNotifications } from './notifications';

const MINUTE = 60_000;

interface LockoutRow {
  failedAttempts: number;
  failedWindowStart: Date | null;
  lockedUntil: Date | null;
  lockLevel: number;
}

interface DeviceRow {
  id: string;
  secondFactorAt?: Date | null;
  userId: string;
  tokenHash: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

interface KnownSourceRow {
  userId: string;
  network: string;
  lastSuccessAt: Date;
}

interface Throttle {
  failures: number;
  windowStart: Date;
  blockedUntil: Date | null;
}

interface State {
  users: User[];
  sessions: Session[];
  tokens: EmailToken[];
  attempts: Map<string, LockoutRow>;
  devices: DeviceRow[];
  knownSources: KnownSourceRow[];
  throttles: Map<string, Throttle>;
}

/**
 * The auth tables (users, sessions, email tokens, login attempts, device tokens, known networks and throttles) in
 * memory, rolled back as one.
 */
export class AuthTables implements TransactionalStore {
  users: User[] = [];
  sessions: Session[] = [];
  tokens: EmailToken[] = [];
  /** login_attempts by `subject|source`. */
  attempts = new Map<string, LockoutRow>();
  devices: DeviceRow[] = [];
  knownSources: KnownSourceRow[] = [];
  throttles = new Map<string, Throttle>();

  snapshot(): unknown {
    return {
      users: this.users.map(copyRow),
      sessions: this.sessions.map(copyRow),
      tokens: this.tokens.map(copyRow),
      attempts: new Map([...this.attempts].map(([k, v]) => [k, { ...v }])),
      devices: this.devices.map((d) => ({ ...d })),
      knownSources: this.knownSources.map((k) => ({ ...k })),
      throttles: new Map([...this.throttles].map(([k, v]) => [k, { ...v }])),
    } satisfies State;
  }

  restore(state: unknown): void {
    Object.assign(this, state as State);
  }

  user(id: string): User {
    const u = this.users.find((x) => x.id === id);
    if (!u) throw new Error(`no user ${id}`);
    return u;
  }

  userByEmail(email: string): User {
    const u = this.users.find((x) => x.email === email);
    if (!u) throw new Error(`no user ${email}`);
    return u;
  }

  activeSessions(userId: string): Session[] {
    return this.sessions.filter((s) => s.userId === userId && !s.revokedAt);
  }

  /** The counters of an account (`user:<id>`) or decoy (`addr:<hex>`) from one source (`net:…`, `device:…`, `untrusted`). */
  attempt(subject: string, source: string): LockoutRow | undefined {
    return this.attempts.get(`${subject}|${source}`);
  }
}

/**
 * AuthRepository in memory. The throttle statement follows the SQL in auth.repository.ts so the service's use of it
 * can be exercised.
 */
export class InMemoryAuthRepository implements Omit<PublicPart<AuthRepository>, 'dataSource'> {
  constructor(
    private readonly db: FakeDatabase,
    readonly t: AuthTables,
    private readonly clock: Clock,
  ) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async findByEmail(email: string): Promise<User | null> {
    const u = this.t.users.find((x) => x.email === email);
    return u ? copyRow(u) : null;
  }

  async findById(id: string): Promise<User | null> {
    const u = this.t.users.find((x) => x.id === id);
    return u ? copyRow(u) : null;
  }

  async insertUser(em: EntityManager, user: Partial<User>): Promise<User> {
    this.db.write(this.t, em, 'insertUser');
    for (const field of ['email', 'username'] as const) {
      if (this.t.users.some((u) => u[field] === user[field])) {
        throw new QueryFailedError(
          'INSERT INTO users',
          [],
          Object.assign(new Error('duplicate key'), {
            code: '23505',
            constraint: `uq_users_${field}`,
          }),
        );
      }
    }
    const now = this.clock.now();
    const row = Object.assign(new User(), {
      id: randomUUID(),
      role: 'user',
      scopes: [],
      emailVerifiedAt: null,
      failedAttempts: 0,
      failedWindowStart: null,
      lockedUntil: null,
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
      version: 1,
      ...user,
    });
    this.t.users.push(row);
    return copyRow(row);
  }

  async existsEmailOrUsername(em: EntityManager, email: string, username: string) {
    this.db.assertOpen(em, 'existsEmailOrUsername');
    return {
      email: this.t.users.some((u) => u.email === email),
      username: this.t.users.some((u) => u.username === username),
    };
  }

  async setMfaEnabled(em: EntityManager, userId: string, enabled: boolean): Promise<void> {
    this.db.write(this.t, em, 'setMfaEnabled');
    const u = this.t.users.find((x) => x.id === userId);
    if (u) u.mfaEnabled = enabled;
  }

  async lockPasswordHash(em: EntityManager, userId: string): Promise<string | undefined> {
    this.db.assertOpen(em, 'lockPasswordHash');
    return this.t.users.find((x) => x.id === userId)?.passwordHash;
  }

  async expireResetTokens(em: EntityManager, userId: string, now: Date): Promise<void> {
    this.db.write(this.t, em, 'expireResetTokens');
    for (const tok of this.t.tokens)
      if (tok.userId === userId && tok.purpose === 'reset_password' && !tok.usedAt) tok.usedAt = now;
  }

  async updatePasswordHash(em: EntityManager, userId: string, hash: string, changedAt?: Date): Promise<void> {
    this.db.write(this.t, em, 'updatePasswordHash');
    const u = this.t.user(userId);
    u.passwordHash = hash;
    if (changedAt) u.passwordChangedAt = changedAt;
  }

  async recordIpFailure(ip: string, now: Date, windowMinutes: number, threshold: number): Promise<void> {
    this.db.write(this.t, undefined, 'recordIpFailure'); // committed at once
    const t = this.t.throttles.get(ip);
    if (!t) {
      this.t.throttles.set(ip, { failures: 1, windowStart: now, blockedUntil: null });
      return;
    }
    const inWindow = t.windowStart.getTime() > now.getTime() - windowMinutes * MINUTE;
    const failures = inWindow ? t.failures + 1 : 1;
    t.blockedUntil =
      inWindow && failures > threshold
        ? new Date(now.getTime() + Math.min(900, 2 ** Math.min(failures - threshold, 10)) * 1000)
        : null;
    t.failures = failures;
    if (!inWindow) t.windowStart = now;
  }

  async ipBlockedUntil(ip: string, now: Date): Promise<Date | undefined> {
    const until = this.t.throttles.get(ip)?.blockedUntil;
    return until && until > now ? until : undefined;
  }

  async insertEmailToken(em: EntityManager, token: Partial<EmailToken>): Promise<void> {
    this.db.write(this.t, em, 'insertEmailToken');
    this.t.tokens.push({ id: randomUUID(), usedAt: null, ...token } as EmailToken);
  }

  async consumeEmailToken(em: EntityManager, hash: string, purpose: EmailTokenPurpose, now: Date) {
    this.db.write(this.t, em, 'consumeEmailToken');
    const tok = this.t.tokens.find(
      (x) => x.tokenHash === hash && x.purpose === purpose && !x.usedAt && x.expiresAt > now,
    );
    if (!tok) return undefined;
    tok.usedAt = now;
    return tok.userId;
  }

  async setEmailVerified(em: EntityManager, userId: string, at: Date): Promise<void> {
    this.db.write(this.t, em, 'setEmailVerified');
    this.t.user(userId).emailVerifiedAt = at;
  }

  async setScopes(em: EntityManager, userId: string, scopes: string[]): Promise<void> {
    this.db.write(this.t, em, 'setScopes');
    this.t.user(userId).scopes = [...scopes];
  }

  async setDisabled(em: EntityManager, userId: string, at: Date | null): Promise<void> {
    this.db.write(this.t, em, 'setDisabled');
    this.t.user(userId).disabledAt = at;
  }

  async consumeEmailChange(em: EntityManager, hash: string, now: Date) {
    this.db.write(this.t, em, 'consumeEmailChange');
    const tok = this.t.tokens.find(
      (x) => x.tokenHash === hash && x.purpose === 'change_email' && !x.usedAt && x.expiresAt > now,
    );
    if (!tok || !tok.newEmail) return undefined;
    tok.usedAt = now;
    return { userId: tok.userId, newEmail: tok.newEmail };
  }

  async expireEmailChanges(em: EntityManager, userId: string, now: Date): Promise<void> {
    this.db.write(this.t, em, 'expireEmailChanges');
    for (const tok of this.t.tokens)
      if (tok.userId === userId && tok.purpose === 'change_email' && !tok.usedAt) tok.usedAt = now;
  }

  async setEmail(em: EntityManager, userId: string, email: string, verifiedAt: Date): Promise<void> {
    this.db.write(this.t, em, 'setEmail');
    Object.assign(this.t.user(userId), { email, emailVerifiedAt: verifiedAt });
  }

  async lockUser(em: EntityManager, userId: string): Promise<User | null> {
    this.db.assertOpen(em, 'lockUser');
    const u = this.t.users.find((x) => x.id === userId);
    return u ? copyRow(u) : null;
  }
}

/**
 * LockoutRepository in memory. The statements follow the SQL in lockout.repository.ts (window reset, attempts in
 * flight counted, lock once the limit is reached, doubling locks, quiet-day reset) so the service can be exercised.
 */
export class InMemoryLockoutRepository implements Omit<PublicPart<LockoutRepository>, never> {
  constructor(
    private readonly db: FakeDatabase,
    readonly t: AuthTables,
  ) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async reserve(row: AttemptRow, now: Date, rules: LockoutRules): Promise<{ attempt: number } | 'locked' | 'busy'> {
    this.db.write(this.t, undefined, 'reserve'); // committed at once
    const key = `${row.subject}|${row.source}`;
    const r = this.t.attempts.get(key);
    if (!r) {
      this.t.attempts.set(key, { failedAttempts: 1, failedWindowStart: now, lockedUntil: null, lockLevel: 0 });
      return { attempt: 1 };
    }
    const reset =
      !r.failedWindowStart ||
      r.failedWindowStart.getTime() <= now.getTime() - rules.windowMinutes * MINUTE ||
      (r.lockedUntil !== null && r.lockedUntil <= now);
    const quiet = !r.failedWindowStart || r.failedWindowStart.getTime() <= now.getTime() - 1440 * MINUTE;
    const open = (!r.lockedUntil || r.lockedUntil <= now) && (reset || r.failedAttempts < rules.maxAttempts);
    if (open) {
      r.failedAttempts = reset ? 1 : r.failedAttempts + 1;
      r.failedWindowStart = reset ? now : r.failedWindowStart;
      r.lockedUntil = reset ? null : r.lockedUntil;
      r.lockLevel = quiet ? 0 : r.lockLevel;
      return { attempt: r.failedAttempts };
    }
    return r.lockedUntil && r.lockedUntil > now ? 'locked' : 'busy';
  }

  async lockIfLimitReached(row: AttemptRow, now: Date, rules: LockoutRules, em: EntityManager): Promise<number> {
    this.db.write(this.t, em, 'lockIfLimitReached');
    const r = this.t.attempt(row.subject, row.source);
    if (!r || r.failedAttempts < rules.maxAttempts || (r.lockedUntil && r.lockedUntil > now)) return 0;
    const minutes = Math.min(rules.maxLockMinutes, rules.lockMinutes * 2 ** Math.min(r.lockLevel, 20));
    r.lockedUntil = new Date(now.getTime() + minutes * MINUTE);
    r.lockLevel += 1;
    return r.lockLevel;
  }

  async clear(row: AttemptRow, em?: EntityManager): Promise<void> {
    this.db.write(this.t, em, 'clear');
    this.t.attempts.delete(`${row.subject}|${row.source}`);
  }

  async release(row: AttemptRow, em: EntityManager): Promise<void> {
    this.db.write(this.t, em, 'release');
    const r = this.t.attempt(row.subject, row.source);
    if (r) r.failedAttempts = Math.max(0, r.failedAttempts - 1);
  }

  async clearSubject(subject: string, em: EntityManager): Promise<void> {
    this.db.write(this.t, em, 'clearSubject');
    for (const key of [...this.t.attempts.keys()])
      if (key.startsWith(`${subject}|`) || key.startsWith(`${subject}#`)) this.t.attempts.delete(key);
  }

  async trust(userId: string, tokenHash: string, network: string, now: Date, since: Date): Promise<TrustFacts> {
    const device = this.t.devices.find(
      (d) => d.tokenHash === tokenHash && d.userId === userId && !d.revokedAt && d.expiresAt > now,
    );
    const known = this.t.knownSources.some(
      (k) => k.userId === userId && k.network === network && k.lastSuccessAt > since,
    );
    return { deviceId: device?.id ?? null, knownNetwork: known };
  }

  async insertDevice(em: EntityManager, userId: string, tokenHash: string, now: Date, expiresAt: Date) {
    this.db.write(this.t, em, 'insertDevice');
    const id = randomUUID();
    this.t.devices.push({ id, userId, tokenHash, createdAt: now, lastUsedAt: now, expiresAt, revokedAt: null });
    const keep = new Set(
      this.t.devices
        .filter((d) => d.userId === userId && !d.revokedAt)
        .sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime())
        .slice(0, DEVICE_TOKENS_PER_USER)
        .map((d) => d.id),
    );
    this.t.devices = this.t.devices.filter((d) => d.userId !== userId || keep.has(d.id));
    return id;
  }

  async rememberSecondFactor(em: EntityManager, deviceId: string, now: Date): Promise<void> {
    this.db.write(this.t, em, 'rememberSecondFactor');
    const d = this.t.devices.find((x) => x.id === deviceId);
    if (d) d.secondFactorAt = now;
  }

  async secondFactorAt(deviceId: string): Promise<Date | null> {
    return this.t.devices.find((x) => x.id === deviceId)?.secondFactorAt ?? null;
  }

  async forgetSecondFactors(em: EntityManager, userId: string): Promise<void> {
    this.db.write(this.t, em, 'forgetSecondFactors');
    for (const d of this.t.devices) if (d.userId === userId) d.secondFactorAt = null;
  }

  async renewDevice(em: EntityManager, deviceId: string, now: Date, expiresAt: Date): Promise<void> {
    this.db.write(this.t, em, 'renewDevice');
    const d = this.t.devices.find((x) => x.id === deviceId);
    if (d) Object.assign(d, { lastUsedAt: now, expiresAt });
  }

  async rememberNetwork(em: EntityManager, userId: string, network: string, now: Date): Promise<void> {
    this.db.write(this.t, em, 'rememberNetwork');
    const k = this.t.knownSources.find((x) => x.userId === userId && x.network === network);
    if (k) k.lastSuccessAt = k.lastSuccessAt > now ? k.lastSuccessAt : now;
    else this.t.knownSources.push({ userId, network, lastSuccessAt: now });
    const mine = this.t.knownSources
      .filter((x) => x.userId === userId)
      .sort((a, b) => b.lastSuccessAt.getTime() - a.lastSuccessAt.getTime());
    const drop = new Set(mine.slice(KNOWN_SOURCES_PER_USER));
    this.t.knownSources = this.t.knownSources.filter((x) => !drop.has(x));
  }

  async revokeDevices(em: EntityManager, userId: string, now: Date, keep: string | null): Promise<number> {
    this.db.write(this.t, em, 'revokeDevices');
    const revoked = this.t.devices.filter((d) => d.userId === userId && !d.revokedAt && d.id !== keep);
    for (const d of revoked) d.revokedAt = now;
    this.t.knownSources = this.t.knownSources.filter((k) => k.userId !== userId);
    return revoked.length;
  }

  async deviceOfSession(sessionId: string): Promise<string | null> {
    return this.t.sessions.find((x) => x.id === sessionId)?.deviceId ?? null;
  }

  async listForUser(userId: string, now: Date) {
    return {
      devices: this.t.devices
        .filter((d) => d.userId === userId && !d.revokedAt && d.expiresAt > now)
        .map(({ id, createdAt, lastUsedAt, expiresAt }) => ({ id, createdAt, lastUsedAt, expiresAt })),
      networks: this.t.knownSources
        .filter((k) => k.userId === userId)
        .map(({ network, lastSuccessAt }) => ({ network, lastSuccessAt })),
    };
  }

  async purge(now: Date) {
    this.db.write(this.t, undefined, 'purge'); // committed at once
    const dayAgo = now.getTime() - 86_400_000;
    const before = this.t.attempts.size;
    for (const [key, r] of [...this.t.attempts])
      if (r.failedWindowStart && r.failedWindowStart.getTime() < dayAgo && (!r.lockedUntil || r.lockedUntil < now))
        this.t.attempts.delete(key);
    const devices = this.t.devices.length;
    this.t.devices = this.t.devices.filter(
      (d) => !(d.expiresAt.getTime() < dayAgo || (d.revokedAt && d.revokedAt.getTime() < dayAgo)),
    );
    return { loginAttempts: before - this.t.attempts.size, deviceTokens: devices - this.t.devices.length };
  }
}

/** SessionsRepository in memory, over the same users (for role, scopes and disabled state). */
export class InMemorySessionsRepository implements PublicPart<SessionsRepository> {
  constructor(
    private readonly db: FakeDatabase,
    readonly t: AuthTables,
  ) {}

  async purgeEnded(now: Date, idleMinutes: number) {
    this.db.write(this.t, undefined, 'purgeEnded'); // committed at once
    const dayAgo = now.getTime() - 86_400_000;
    const idleBefore = dayAgo - idleMinutes * MINUTE;
    const before = this.t.sessions.length;
    this.t.sessions = this.t.sessions.filter(
      (s) =>
        !(
          s.expiresAt.getTime() < dayAgo ||
          (s.revokedAt && s.revokedAt.getTime() < dayAgo) ||
          s.lastSeenAt.getTime() < idleBefore
        ),
    );
    return { sessions: before - this.t.sessions.length, emailTokens: 0 };
  }

  async insert(session: Partial<Session>, em?: EntityManager): Promise<Session> {
    this.db.write(this.t, em, 'session insert');
    const row = Object.assign(new Session(), { id: randomUUID(), revokedAt: null, ...session });
    this.t.sessions.push(row);
    return copyRow(row);
  }

  async findByTokenHash(hash: string): Promise<SessionWithUser | undefined> {
    const s = this.t.sessions.find((x) => x.tokenHash === hash);
    if (!s) return undefined;
    const u = this.t.user(s.userId);
    return Object.assign(copyRow(s), {
      role: u.role,
      scopes: [...u.scopes],
      disabledAt: u.disabledAt,
      emailVerified: u.emailVerifiedAt !== null,
      mfaEnabled: u.mfaEnabled === true,
    });
  }

  async isRevoked(id: string): Promise<boolean> {
    const s = this.t.sessions.find((x) => x.id === id);
    return !s || s.revokedAt !== null;
  }

  async touchMany(seen: { id: string; seenAt: Date }[]): Promise<void> {
    this.db.write(this.t, undefined, 'touchMany'); // committed at once
    for (const { id, seenAt } of seen) {
      const s = this.t.sessions.find((x) => x.id === id);
      if (s && s.lastSeenAt < seenAt) s.lastSeenAt = seenAt;
    }
  }

  async listActive(userId: string, now: Date, idleSince: Date): Promise<Session[]> {
    return this.active(userId, now, idleSince)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, 100)
      .map(copyRow);
  }

  async endBeyond(userId: string, newId: string, keep: number, now: Date, idleSince: Date, em?: EntityManager) {
    this.db.write(this.t, em, 'endBeyond');
    const older = this.active(userId, now, idleSince)
      .filter((s) => s.id !== newId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .slice(Math.max(0, keep - 1));
    for (const s of older) s.revokedAt = now;
    return older.length;
  }

  async renewAuthentication(userId: string, sessionId: string, now: Date, em: EntityManager): Promise<boolean> {
    this.db.write(this.t, em, 'session renewAuthentication');
    const s = this.t.sessions.find((x) => x.id === sessionId && x.userId === userId && !x.revokedAt);
    if (!s) return false;
    s.authenticatedAt = now;
    return true;
  }

  async renewWithSecondFactor(userId: string, sessionId: string, now: Date, em: EntityManager): Promise<boolean> {
    this.db.write(this.t, em, 'session renewWithSecondFactor');
    const s = this.t.sessions.find((x) => x.id === sessionId && x.userId === userId && !x.revokedAt);
    if (!s) return false;
    Object.assign(s, { authenticatedAt: now, secondFactorAt: now, aal: 'aal2' });
    return true;
  }

  async revoke(userId: string, sessionId: string, now: Date, em?: EntityManager): Promise<boolean> {
    this.db.write(this.t, em, 'session revoke');
    const s = this.t.sessions.find((x) => x.id === sessionId && x.userId === userId && !x.revokedAt);
    if (!s) return false;
    s.revokedAt = now;
    return true;
  }

  async revokeAll(userId: string, now: Date, keep: string | undefined, em?: EntityManager): Promise<number> {
    this.db.write(this.t, em, 'session revokeAll');
    const ended = this.t.sessions.filter((s) => s.userId === userId && !s.revokedAt && s.id !== keep);
    for (const s of ended) s.revokedAt = now;
    return ended.length;
  }

  private active(userId: string, now: Date, idleSince: Date): Session[] {
    return this.t.sessions.filter(
      (s) => s.userId === userId && !s.revokedAt && s.expiresAt > now && s.lastSeenAt > idleSince,
    );
  }
}

/** A login's answer as a session (a test user without a second factor gets one; a challenge fails the test). */
export async function sessionOf(login: Promise<LoginView | SecondFactorChallenge>): Promise<LoginView> {
  const answer = await login;
  if (!('token' in answer)) throw new Error('the login answered a second-factor challenge, not a session');
  return answer;
}

let sharedPolicy: PasswordPolicy | undefined;

/** The real policy (zxcvbn dictionaries load once per test file). */
export function passwordPolicy(): PasswordPolicy {
  return (sharedPolicy ??= new PasswordPolicy());
}

/** A strong password the policy accepts for any of the test users. */
export const STRONG_PASSWORD = 'orbit velvet cactus lantern';
export const OTHER_STRONG_PASSWORD = 'meadow quartz bicycle thunder';

/**
 * The auth services wired as AuthModule wires them, over in-memory repositories and the real audit, notifications,
 * hasher (cheap Argon2) and password policy.
 */
export async function authWorld(env: Record<string, string> = {}) {
  const db = new FakeDatabase();
  const clock = new ManualClock();
  const random = new SequenceRandom();
  // The session cache is off unless a test turns it on (SESSION_CACHE_TTL_MS): most tests edit rows behind its back.
  const config: AppConfig = unitConfig({ SESSION_CACHE_TTL_MS: '0', ...env });
  const tables = db.register(new AuthTables());
  const repo = new InMemoryAuthRepository(db, tables, clock);
  const sessionsRepo = new InMemorySessionsRepository(db, tables);
  const { audit, auditRepo } = fakeAudit(db, clock);
  const { notifications, outbox, mailer } = fakeNotifications(db, clock, config);
  // Salts from the system's CSPRNG: the shared sequence counts the draws of tokens and codes.
  const hasher = new PasswordHasher(config, new HashThreads(config), new SystemRandomSource());
  await hasher.onModuleInit();
  const policy = passwordPolicy();
  const changes = new FakeChangeFeed();
  /** Empty unless a test registers a revoker (api-keys registers one in the app). */
  const credentials = new CredentialRevocation();
  const authRepo = repo as unknown as AuthRepository;
  const lockoutRepo = new InMemoryLockoutRepository(db, tables);
  const lockout = new LoginLockout(
    lockoutRepo as unknown as LockoutRepository,
    authRepo,
    audit,
    notifications,
    clock,
    random,
    config,
  );
  const sessionsRepoReal = sessionsRepo as unknown as SessionsRepository;
  const cache = new PrincipalCache(config, changes.asChangeFeed());
  // Like AuthModule: changes (local and, in a two-world test, delivered) drop cached sessions and users.
  changes.subscribe(SESSION_TOPIC, (id) => (id ? cache.invalidateSession(id) : cache.clear()));
  changes.subscribe(USER_CHANGES_TOPIC, (id) => (id ? cache.invalidateUser(id) : cache.clear()));
  const activity = new SessionActivity(sessionsRepoReal, config);
  const sessions = new SessionsService(
    sessionsRepoReal,
    clock,
    random,
    config,
    cache,
    activity,
    changes.asChangeFeed(),
  );
  /** No gate registered unless a test adds one (libs/mfa registers one in the app). */
  const secondFactorGates = new SecondFactorGates();
  const flow = new LoginFlow(authRepo, hasher, sessions, lockout, audit, clock, config, secondFactorGates);
  const auth = new AuthService(
    authRepo,
    hasher,
    policy,
    sessions,
    lockout,
    audit,
    notifications,
    clock,
    random,
    config,
    flow,
  );
  const emailChange = new EmailChangeService(
    authRepo,
    audit,
    notifications,
    clock,
    random,
    config,
    changes.asChangeFeed(),
  );
  const account = new AccountService(
    authRepo,
    auth,
    hasher,
    policy,
    sessions,
    audit,
    notifications,
    clock,
    random,
    config,
    new StepUpWindow(clock, config),
    credentials,
    changes.asChangeFeed(),
    lockout,
    secondFactorGates,
    emailChange,
  );
  const admin = new AdminUsersService(
    authRepo,
    auth,
    hasher,
    sessions,
    audit,
    clock,
    changes.asChangeFeed(),
    notifications,
  );

  /** A user as registration and email verification would leave them. */
  async function seedUser(
    name: string,
    opts: { password?: string; passwordHash?: string; verified?: boolean; role?: 'user' | 'admin' } = {},
  ): Promise<User> {
    const passwordHash = opts.passwordHash ?? (await hasher.hash(opts.password ?? STRONG_PASSWORD));
    return db.transaction((em) =>
      repo.insertUser(em, {
        email: `${name}@example.com`,
        username: name,
        passwordHash,
        role: opts.role ?? 'user',
        scopes: ['audit:read', 'profiles:read', 'profiles:write', 'profiles:read_sensitive'],
        passwordChangedAt: clock.now(),
        emailVerifiedAt: opts.verified === false ? null : clock.now(),
      }),
    );
  }

  /** Signs in and answers the session principal the guard would build from the token. */
  async function signIn(user: User, password = STRONG_PASSWORD, ip = '198.51.100.1') {
    const login = await sessionOf(auth.login({ email: user.email, password }, { ip, userAgent: 'jest' }));
    return { login, principal: await sessions.resolve(login.token) };
  }

  /** The token in the last mail of a kind to an address (as the person would copy it from the link). */
  function tokenFromMail(kind: string, to: string): string {
    const m = outbox.mails(kind).filter((x) => x.recipient === to);
    const match = /#token=([A-Za-z0-9_-]{43})/.exec(m[m.length - 1]?.body ?? '');
    if (!match) throw new Error(`no ${kind} mail with a token to ${to}`);
    return match[1];
  }

  const apiKeyPrincipal = (user: User): Principal => ({
    kind: 'apiKey',
    emailVerified: user.emailVerifiedAt !== null,
    userId: user.id,
    role: user.role,
    scopes: user.scopes,
    keyId: 'key-1',
  });

  return {
    db,
    clock,
    random,
    config,
    tables,
    repo,
    sessionsRepo,
    audit,
    auditRepo,
    notifications,
    outbox,
    mailer,
    hasher,
    policy,
    changes,
    credentials,
    cache,
    activity,
    sessions,
    lockout,
    auth,
    account,
    emailChange,
    admin,
    seedUser,
    signIn,
    tokenFromMail,
    apiKeyPrincipal,
  };
}

export type AuthWorld = Awaited<ReturnType<typeof authWorld>>;

/** The SHA-256 an address's decoy lockout row is keyed by. */
export function decoyKey(email: string): string {
  return createHash('sha256').update(email).digest('hex');
}
