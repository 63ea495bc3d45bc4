import { createHash, randomUUID } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AppConfig, Clock, CredentialRevocation, Principal, StepUpWindow } from '@app/core';
import { AccountService } from '../../libs/auth/src/account.service';
import { AdminUsersService } from '../../libs/auth/src/admin-users.service';
import type { AuthRepository, LockoutRules, LockoutSubject } from '../../libs/auth/src/auth.repository';
import { AuthService } from '../../libs/auth/src/auth.service';
import type { EmailToken, EmailTokenPurpose } from '../../libs/auth/src/entities/email-token.entity';
import { Session } from '../../libs/auth/src/entities/session.entity';
import { User } from '../../libs/auth/src/entities/user.entity';
import { PasswordHasher } from '../../libs/auth/src/password/password-hasher';
import { PasswordPolicy } from '../../libs/auth/src/password/password-policy';
import type { SessionsRepository, SessionWithUser } from '../../libs/auth/src/sessions.repository';
import { SessionsService } from '../../libs/auth/src/sessions.service';
import type { LoginView } from '../../libs/auth/src/dto/user.response';
import { SecondFactorGates } from '../../libs/auth/src/second-factor-gates';
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
  decoys: Map<string, LockoutRow>;
  throttles: Map<string, Throttle>;
}

/** The auth tables (users, sessions, email tokens, login decoys and throttles) in memory, rolled back as one. */
export class AuthTables implements TransactionalStore {
  users: User[] = [];
  sessions: Session[] = [];
  tokens: EmailToken[] = [];
  decoys = new Map<string, LockoutRow>();
  throttles = new Map<string, Throttle>();

  snapshot(): unknown {
    return {
      users: this.users.map(copyRow),
      sessions: this.sessions.map(copyRow),
      tokens: this.tokens.map(copyRow),
      decoys: new Map([...this.decoys].map(([k, v]) => [k, { ...v }])),
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
}

/**
 * AuthRepository in memory. The lockout and throttle statements follow the SQL in auth.repository.ts (window reset,
 * attempts in flight counted, lock once the limit is reached) so the service's use of them can be exercised.
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

  async reserveAttempt(
    subject: LockoutSubject,
    now: Date,
    rules: LockoutRules,
  ): Promise<{ attempt: number } | 'locked' | 'busy'> {
    this.db.write(this.t, undefined, 'reserveAttempt'); // committed at once
    let row = this.lockoutRow(subject);
    if (!row) {
      if ('userId' in subject) return 'busy';
      row = { failedAttempts: 1, failedWindowStart: now, lockedUntil: null };
      this.t.decoys.set(subject.addressHash.toString('hex'), row);
      return { attempt: 1 };
    }
    const reset =
      !row.failedWindowStart ||
      row.failedWindowStart.getTime() <= now.getTime() - rules.windowMinutes * MINUTE ||
      (row.lockedUntil !== null && row.lockedUntil <= now);
    const open = (!row.lockedUntil || row.lockedUntil <= now) && (reset || row.failedAttempts < rules.maxAttempts);
    if (open) {
      row.failedAttempts = reset ? 1 : row.failedAttempts + 1;
      row.failedWindowStart = reset ? now : row.failedWindowStart;
      row.lockedUntil = reset ? null : row.lockedUntil;
      return { attempt: row.failedAttempts };
    }
    return row.lockedUntil && row.lockedUntil > now ? 'locked' : 'busy';
  }

  async lockIfLimitReached(subject: LockoutSubject, now: Date, rules: LockoutRules, em?: EntityManager) {
    this.db.write(this.t, em, 'lockIfLimitReached');
    const row = this.lockoutRow(subject);
    if (!row || row.failedAttempts < rules.maxAttempts || (row.lockedUntil && row.lockedUntil > now)) return false;
    row.lockedUntil = new Date(now.getTime() + rules.lockMinutes * MINUTE);
    return true;
  }

  async clearAttempts(userId: string, em?: EntityManager): Promise<void> {
    this.db.write(this.t, em, 'clearAttempts');
    const u = this.t.users.find((x) => x.id === userId);
    if (u) Object.assign(u, { failedAttempts: 0, failedWindowStart: null, lockedUntil: null });
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

  private lockoutRow(subject: LockoutSubject): LockoutRow | undefined {
    return 'userId' in subject
      ? this.t.users.find((u) => u.id === subject.userId)
      : this.t.decoys.get(subject.addressHash.toString('hex'));
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
    return { sessions: before - this.t.sessions.length, emailTokens: 0, loginDecoys: 0 };
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

  async touch(id: string, now: Date, staleBefore: Date): Promise<void> {
    this.db.write(this.t, undefined, 'touch'); // committed at once
    const s = this.t.sessions.find((x) => x.id === id);
    if (s && s.lastSeenAt < staleBefore) s.lastSeenAt = now;
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
  const config: AppConfig = unitConfig(env);
  const tables = db.register(new AuthTables());
  const repo = new InMemoryAuthRepository(db, tables, clock);
  const sessionsRepo = new InMemorySessionsRepository(db, tables);
  const { audit, auditRepo } = fakeAudit(db, clock);
  const { notifications, outbox, mailer } = fakeNotifications(db, clock, config);
  const hasher = new PasswordHasher(config);
  await hasher.onModuleInit();
  const policy = passwordPolicy();
  const changes = new FakeChangeFeed();
  /** Empty unless a test registers a revoker (api-keys registers one in the app). */
  const credentials = new CredentialRevocation();
  const authRepo = repo as unknown as AuthRepository;
  /** No gate registered unless a test adds one (libs/mfa registers one in the app). */
  const secondFactorGates = new SecondFactorGates();
  const sessions = new SessionsService(sessionsRepo as unknown as SessionsRepository, clock, random, config);
  const auth = new AuthService(
    authRepo,
    hasher,
    policy,
    sessions,
    audit,
    notifications,
    clock,
    random,
    config,
    secondFactorGates,
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
    secondFactorGates,
  );
  const admin = new AdminUsersService(authRepo, auth, hasher, sessions, audit, clock, changes.asChangeFeed());

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
    sessions,
    auth,
    account,
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
