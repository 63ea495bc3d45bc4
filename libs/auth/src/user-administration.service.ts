import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { RandomSource } from '@app/crypto';
import {
  AccountCounts,
  AppConfig,
  ChangeFeed,
  Clock,
  CredentialRevocation,
  CursorCodec,
  Page,
  Principal,
  sortValue,
  USER_CHANGES_TOPIC,
} from '@app/core';
import { NotificationsService } from '@app/notifications';
import type { EntityManager } from 'typeorm';
import { AdminUsersRepository, UserFilter } from './admin-users.repository';
import { AuthErrorCode, AuthException } from './auth-error-codes';
import { adminMails } from './auth.mails';
import { AuthRepository } from './auth.repository';
import { userView } from './auth.service';
import {
  AdminUserDetailView,
  AdminUserView,
  EverythingEndedView,
  ForcedPasswordResetView,
  UserEnabledView,
  UserUnlockedView,
} from './dto/admin-user.response';
import { ListUsersQueryDto, UserSort } from './dto/admin-users.dto';
import { User } from './entities/user.entity';
import { accountLockoutSubject, LoginLockout } from './lockout/login-lockout.service';
import { SessionsService } from './sessions.service';
import { newOpaqueToken, tokenDigest } from './tokens';

const RESET_TTL_MS = 3_600_000;
/** The AccountCounts counter whose `existsSql` answers "has a second factor" (registered by the MFA context). */
const FACTORS = 'factors';

const adminView = (u: User, mfa: boolean): AdminUserView => ({
  ...userView(u),
  disabledAt: u.disabledAt?.toISOString() ?? null,
  mfa,
});

/**
 * User administration for `admin:all` (issue 21): list and search, one user in detail, enable, unlock, forced password
 * reset and "end everything". Every change is audited in its own transaction and mailed to the user it concerns.
 * (Scopes, disabling, the first admin and imports: AdminUsersService.)
 */
@Injectable()
export class UserAdministrationService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly admin: AdminUsersRepository,
    private readonly sessions: SessionsService,
    private readonly lockout: LoginLockout,
    private readonly credentials: CredentialRevocation,
    private readonly counts: AccountCounts,
    private readonly cursors: CursorCodec,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly changes: ChangeFeed,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
  ) {}

  /** A page of users; an operator's read of other people's records is itself audited (`admin.user_list`). */
  async list(q: ListUsersQueryDto, actor?: Principal): Promise<Page<AdminUserView>> {
    const limit = q.limit ?? 20;
    const sort: UserSort = q.sort ?? '-createdAt';
    const factor = this.counts.existsSql(FACTORS, 'u.id');
    const filter: UserFilter = {
      q: q.q,
      status: q.status,
      role: q.role,
      verified: q.verified,
      mfa: q.mfa === undefined ? undefined : { condition: factor, wanted: q.mfa },
    };
    // The cursor continues this listing only: same filters and sort.
    const context = `admin-users|${sort}|${JSON.stringify([q.q ?? null, q.status ?? null, q.role ?? null, q.verified ?? null, q.mfa ?? null])}`;
    const rows = await this.admin.list(filter, sort, limit + 1, this.cursors.decode(context, q.cursor));
    const withFactor = await this.admin.meeting(
      rows.map((u) => u.id),
      factor,
    );
    const field = sort.replace(/^-/, '') as 'createdAt' | 'email';
    await this.recordRead(actor, 'admin.user_list', undefined, {
      q: q.q ?? null,
      status: q.status ?? null,
      role: q.role ?? null,
      verified: q.verified ?? null,
      mfa: q.mfa ?? null,
      returned: Math.min(rows.length, limit),
    });
    return this.cursors.page(
      context,
      rows,
      limit,
      (u) => ({ value: sortValue(u[field]), id: u.id }),
      (u) => adminView(u, withFactor.has(u.id)),
    );
  }

  async show(userId: string, actor?: Principal): Promise<AdminUserDetailView> {
    const user = await this.repo.findById(userId);
    if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, 'No such user.');
    await this.recordRead(actor, 'admin.user_show', userId, {});
    const now = this.clock.now();
    const [facts, held] = await Promise.all([
      this.admin.facts(userId, accountLockoutSubject(userId), now, this.sessions.idleSince(now)),
      this.counts.of(userId),
    ]);
    const factors = held[FACTORS] ?? 0;
    return {
      ...adminView(user, factors > 0),
      counts: {
        sessions: facts.sessions,
        apiKeys: held.apiKeys ?? 0,
        factors,
        certificates: held.certificates ?? 0,
        devices: facts.devices,
      },
      lastSignInAt: facts.lastSignInAt?.toISOString() ?? null,
      locked: facts.locked,
      pendingEmail: facts.pendingEmail,
    };
  }

  /** Re-enables a disabled user (it signs in again as before; its API keys work again at once). */
  async enable(actor: Principal | undefined, userId: string): Promise<UserEnabledView> {
    await this.change(actor, userId, 'admin.user_enable', async (em, user) => {
      if (!user.disabledAt) return { changed: false };
      await this.repo.setDisabled(em, userId, null);
      await this.mail(em, user, 'auth.account_enabled', adminMails.enabled(this.config.publicUrl));
      return { changed: true };
    });
    return { enabled: true };
  }

  /** Clears every sign-in lockout of the account (all sources, its other factors too): the owner signs in at once. */
  async unlock(actor: Principal | undefined, userId: string): Promise<UserUnlockedView> {
    let countersCleared = 0;
    await this.change(actor, userId, 'admin.user_unlock', async (em, user) => {
      countersCleared = await this.admin.clearLockout(em, accountLockoutSubject(userId));
      await this.mail(em, user, 'auth.account_unlocked', adminMails.unlocked());
      return { countersCleared };
    });
    return { countersCleared };
  }

  /**
   * Ends every session and sends the reset mail (a one-hour link, the same as a forgotten password's): the user signs
   * in again only with a new password. API keys stay (as after a password change; `end-everything` revokes them).
   */
  async forcePasswordReset(actor: Principal | undefined, userId: string): Promise<ForcedPasswordResetView> {
    let view: ForcedPasswordResetView = { sessionsEnded: 0, mailQueued: false };
    await this.change(actor, userId, 'admin.user_force_password_reset', async (em, user) => {
      const now = this.clock.now();
      await this.repo.expireResetTokens(em, userId, now);
      const sessionsEnded = await this.sessions.revokeAll(userId, undefined, em);
      const token = newOpaqueToken(this.random);
      const mailQueued = await this.notifications.enqueueEmailLimited(
        em,
        { kind: 'auth.reset_password', to: user.email, ...adminMails.forcedReset(this.config.publicUrl, token) },
        this.config.env.AUTH_MAILS_PER_HOUR,
      );
      if (mailQueued)
        await this.repo.insertEmailToken(em, {
          userId,
          purpose: 'reset_password',
          tokenHash: tokenDigest(token),
          createdAt: now,
          expiresAt: new Date(now.getTime() + RESET_TTL_MS),
        });
      view = { sessionsEnded, mailQueued };
      return view;
    });
    return view;
  }

  /** Ends every session, revokes every API key and every device token (and forgets the known networks). */
  async endEverything(actor: Principal | undefined, userId: string): Promise<EverythingEndedView> {
    let view: EverythingEndedView = { sessionsEnded: 0, apiKeysRevoked: 0, devicesRevoked: 0 };
    let afterCommit = () => undefined as void;
    await this.change(actor, userId, 'admin.user_end_everything', async (em, user) => {
      const sessionsEnded = await this.sessions.revokeAll(userId, undefined, em);
      const keys = await this.credentials.revokeAll(userId, 'admin', em);
      const devicesRevoked = await this.lockout.revokeDevices(em, userId);
      afterCommit = keys.afterCommit;
      view = { sessionsEnded, apiKeysRevoked: keys.revoked.length, devicesRevoked };
      await this.mail(em, user, 'auth.everything_ended', adminMails.everythingEnded(view));
      return view;
    });
    afterCommit();
    return view;
  }

  /**
   * One administrative change in one transaction: the user row locked (404 USER_NOT_FOUND), `apply`, its audit event
   * with what `apply` answered, and the user topic published (cached API keys re-read the user on every instance).
   */
  private async recordRead(
    actor: Principal | undefined,
    action: string,
    userId: string | undefined,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.record({
      action,
      outcome: 'success',
      actorId: actor?.userId ?? null,
      actorType: actor ? 'user' : 'system',
      targetType: userId ? 'user' : null,
      targetId: userId ?? null,
      details,
    });
  }

  private async change(
    actor: Principal | undefined,
    userId: string,
    action: string,
    apply: (em: EntityManager, user: User) => Promise<object>,
  ): Promise<void> {
    await this.repo.transaction(async (em) => {
      const user = await this.repo.lockUser(em, userId);
      if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, 'No such user.');
      const details = await apply(em, user);
      await this.audit.record(
        {
          action,
          outcome: 'success',
          actorId: actor?.userId ?? null,
          actorType: actor ? 'user' : 'system',
          targetType: 'user',
          targetId: userId,
          details: details as Record<string, unknown>,
        },
        em,
      );
      await this.changes.publish(em, USER_CHANGES_TOPIC, userId);
    });
    this.changes.emitLocal(USER_CHANGES_TOPIC, userId);
  }

  private mail(em: EntityManager, user: User, kind: string, text: { subject: string; text: string }): Promise<void> {
    return this.notifications.enqueueEmail(em, { kind, to: user.email, ...text });
  }
}
