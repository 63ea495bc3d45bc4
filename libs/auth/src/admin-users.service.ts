import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { ADMIN_SCOPE, ChangeFeed, Clock, DEFAULT_USER_SCOPES, isScope, Principal, USER_CHANGES_TOPIC } from '@app/core';
import { NotificationsService } from '@app/notifications';
import { AuthErrorCode, AuthException } from './auth-error-codes';
import { adminMails } from './auth.mails';
import { AuthRepository } from './auth.repository';
import { AuthService, userView } from './auth.service';
import { SessionsEndedView } from './dto/session.response';
import { UserView } from './dto/user.response';
import { PasswordHasher } from './password/password-hasher';
import { SessionsService } from './sessions.service';

export interface ImportedUser {
  email: string;
  username: string;
  passwordHash: string;
  role?: 'user' | 'admin';
}

/** Administration of users: scopes, disabling, the first admin and imports from a legacy system. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly auth: AuthService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly changes: ChangeFeed,
    private readonly notifications: NotificationsService,
  ) {}

  async changeScopes(
    actor: Principal | undefined,
    userId: string,
    add: string[] = [],
    remove: string[] = [],
  ): Promise<UserView> {
    const unknown = [...add, ...remove].filter((s) => !isScope(s));
    if (unknown.length) throw new AuthException(AuthErrorCode.UNKNOWN_SCOPE, `Unknown scope(s): ${unknown.join(', ')}`);
    const view = await this.repo.transaction(async (em) => {
      const user = await this.repo.findById(userId, em);
      if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, 'No such user.');
      const scopes = [...new Set([...user.scopes.filter((s) => !remove.includes(s)), ...add])].sort();
      await this.repo.setScopes(em, userId, scopes);
      await this.audit.record(
        {
          action: 'admin.user_scopes',
          outcome: 'success',
          actorId: actor?.userId ?? null,
          actorType: actor ? 'user' : 'system',
          targetType: 'user',
          targetId: userId,
          details: { add, remove },
        },
        em,
      );
      await this.changes.publish(em, USER_CHANGES_TOPIC, userId); // the user's API keys lose removed scopes at once
      return userView(Object.assign(user, { scopes }));
    });
    this.changes.emitLocal(USER_CHANGES_TOPIC, userId);
    return view;
  }

  /** Disables a user and ends all of its sessions at once; the user is told. */
  async disable(actor: Principal | undefined, userId: string): Promise<SessionsEndedView> {
    const result = await this.repo.transaction(async (em) => {
      const user = await this.repo.findById(userId, em);
      if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, 'No such user.');
      await this.repo.setDisabled(em, userId, this.clock.now());
      const ended = await this.sessions.revokeAll(userId, undefined, em);
      await this.audit.record(
        {
          action: 'admin.user_disable',
          outcome: 'success',
          actorId: actor?.userId ?? null,
          actorType: actor ? 'user' : 'system',
          targetType: 'user',
          targetId: userId,
          details: { sessionsEnded: ended },
        },
        em,
      );
      await this.notifications.enqueueEmail(em, {
        kind: 'auth.account_disabled',
        to: user.email,
        ...adminMails.disabled(),
      });
      return { sessionsEnded: ended };
    });
    this.changes.emitLocal(USER_CHANGES_TOPIC, userId);
    return result;
  }

  async findIdByEmail(email: string): Promise<string> {
    const user = await this.repo.findByEmail(email);
    if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, `No user with email ${email}`);
    return user.id;
  }

  /** The first admin (no default accounts exist): policy-checked password, verified email, admin:all. */
  async createAdmin(raw: { email: string; username: string; password: string }): Promise<UserView> {
    const input = { ...raw, email: raw.email.trim().toLowerCase() };
    await this.auth.enforcePolicy(input.password, input);
    const hash = await this.hasher.hash(input.password);
    return this.repo.transaction(async (em) => {
      const now = this.clock.now();
      const user = await this.repo.insertUser(em, {
        email: input.email,
        username: input.username,
        passwordHash: hash,
        role: 'admin',
        scopes: [...DEFAULT_USER_SCOPES, ADMIN_SCOPE].sort(),
        passwordChangedAt: now,
        emailVerifiedAt: now,
      });
      await this.audit.record(
        {
          action: 'admin.user_create',
          outcome: 'success',
          actorType: 'system',
          targetType: 'user',
          targetId: user.id,
          details: { role: 'admin' },
        },
        em,
      );
      return userView(user);
    });
  }

  /** Imports users with legacy hashes (bcrypt or Argon2 PHC), kept as they are until their next login upgrades them. */
  async importUsers(users: ImportedUser[]): Promise<{ imported: number; skipped: number }> {
    let imported = 0;
    let skipped = 0;
    for (const raw of users) {
      const u = { ...raw, email: raw.email.trim().toLowerCase() };
      const taken = await this.repo.transaction((em) => this.repo.existsEmailOrUsername(em, u.email, u.username));
      if (taken.email || taken.username) {
        skipped++;
        continue;
      }
      await this.repo.transaction(async (em) => {
        const user = await this.repo.insertUser(em, {
          email: u.email,
          username: u.username,
          passwordHash: u.passwordHash,
          role: u.role ?? 'user',
          scopes: u.role === 'admin' ? [...DEFAULT_USER_SCOPES, ADMIN_SCOPE].sort() : [...DEFAULT_USER_SCOPES],
          passwordChangedAt: this.clock.now(),
        });
        await this.audit.record(
          {
            action: 'admin.user_import',
            outcome: 'success',
            actorType: 'system',
            targetType: 'user',
            targetId: user.id,
          },
          em,
        );
      });
      imported++;
    }
    return { imported, skipped };
  }
}
