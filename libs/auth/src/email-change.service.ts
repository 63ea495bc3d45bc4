import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { RandomSource } from '@app/crypto';
import { AppConfig, ChangeFeed, Clock, Principal, USER_CHANGES_TOPIC } from '@app/core';
import { NotificationsService } from '@app/notifications';
import type { EntityManager } from 'typeorm';
import { AuthErrorCode, AuthException } from './auth-error-codes';
import { adminMails } from './auth.mails';
import { AuthRepository } from './auth.repository';
import { EmailChangeRequestedView } from './dto/admin-user.response';
import { newOpaqueToken, tokenDigest } from './tokens';

const CHANGE_TTL_MS = 24 * 3_600_000;

/**
 * Changing the address of an account (`PATCH /v1/me/email`, `PATCH /v1/admin/users/:id/email`): the new address gets a
 * link and replaces the old one only when its owner opens it (so nobody moves an account to an address they do not
 * hold); the old address is told at the request and at the change. The answer is the same whether or not the new
 * address already has an account (that one is told by mail instead), so the route cannot probe addresses.
 */
@Injectable()
export class EmailChangeService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly config: AppConfig,
    private readonly changes: ChangeFeed,
  ) {}

  /** `actor` is the person (self-service) or the admin asking; `userId` the account whose address changes. */
  async request(actor: Principal | undefined, userId: string, newEmail: string): Promise<EmailChangeRequestedView> {
    const byAdmin = actor?.userId !== userId;
    await this.repo.transaction(async (em) => {
      const user = await this.repo.lockUser(em, userId);
      if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, 'No such user.');
      if (user.email === newEmail)
        throw new AuthException(AuthErrorCode.EMAIL_UNCHANGED, 'That is already the address of the account.');
      const now = this.clock.now();
      await this.repo.expireEmailChanges(em, userId, now);
      const taken = await this.repo.existsEmailOrUsername(em, newEmail, '');
      const limit = this.config.env.AUTH_MAILS_PER_HOUR;
      let queued: boolean;
      if (taken.email) {
        queued = await this.notifications.enqueueEmailLimited(
          em,
          { kind: 'auth.email_in_use', to: newEmail, ...adminMails.emailInUse() },
          limit,
        );
      } else {
        const token = newOpaqueToken(this.random);
        queued = await this.notifications.enqueueEmailLimited(
          em,
          {
            kind: 'auth.email_change_confirm',
            to: newEmail,
            ...adminMails.confirmNewEmail(this.config.publicUrl, token, byAdmin),
          },
          limit,
        );
        if (queued)
          await this.repo.insertEmailToken(em, {
            userId,
            purpose: 'change_email',
            newEmail,
            tokenHash: tokenDigest(token),
            createdAt: now,
            expiresAt: new Date(now.getTime() + CHANGE_TTL_MS),
          });
      }
      await this.notifications.enqueueEmail(em, {
        kind: 'auth.email_change_requested',
        to: user.email,
        ...adminMails.emailChangeRequested(newEmail, byAdmin),
      });
      await this.audit.record(
        {
          action: byAdmin ? 'admin.user_email_change' : 'auth.email_change_request',
          outcome: queued ? 'success' : 'denied',
          actorId: actor?.userId ?? null,
          actorType: actor ? 'user' : 'system',
          targetType: 'user',
          targetId: userId,
          details: queued ? {} : { reason: 'hourly_mail_limit' },
        },
        em,
      );
    });
    return { status: 'pending_verification', pendingEmail: newEmail };
  }

  /**
   * Completes a change with the token from the link (inside the verification's transaction; the caller tried the
   * token as a plain verification first). Answers the user id, or undefined when it is no change token either.
   */
  async complete(em: EntityManager, token: string): Promise<string | undefined> {
    const now = this.clock.now();
    const change = await this.repo.consumeEmailChange(em, tokenDigest(token), now);
    if (!change) return undefined;
    const user = await this.repo.lockUser(em, change.userId);
    if (!user || user.disabledAt) return undefined;
    const taken = await this.repo.existsEmailOrUsername(em, change.newEmail, '');
    if (taken.email)
      throw new AuthException(AuthErrorCode.TOKEN_INVALID, 'The new address is now used by another account.');
    await this.repo.setEmail(em, user.id, change.newEmail, now);
    await this.repo.expireEmailChanges(em, user.id, now);
    await this.repo.expireResetTokens(em, user.id, now); // reset links went to the old address
    await this.notifications.enqueueEmail(em, {
      kind: 'auth.email_changed',
      to: user.email,
      ...adminMails.emailChanged(change.newEmail),
    });
    await this.changes.publish(em, USER_CHANGES_TOPIC, user.id);
    await this.audit.record(
      {
        action: 'auth.email_change',
        outcome: 'success',
        actorId: user.id,
        targetType: 'user',
        targetId: user.id,
      },
      em,
    );
    return user.id;
  }
}
