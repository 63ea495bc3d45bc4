import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { AuthService } from '@app/auth';
import { RandomSource } from '@app/crypto';
import { ChangeFeed, Principal, USER_CHANGES_TOPIC } from '@app/core';
import { NotificationsService } from '@app/notifications';
import { ProfileErasureView } from './dto/profile.response';
import { ProfilesRepository } from './profiles.repository';

/**
 * Erasure (GDPR art. 17), confirmed with the password: in one transaction the user's audit events are pseudonymised
 * (their id replaced by a random pseudonym, IP, user agent and details cleared; the hash chain still verifies), mail
 * to them is dropped from the outbox, and the account is deleted with its profile, sessions and API keys. Caches of
 * their keys are dropped on every instance before the call returns.
 */
@Injectable()
export class ProfileErasureService {
  constructor(
    private readonly repo: ProfilesRepository,
    private readonly users: AuthService,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    private readonly changes: ChangeFeed,
    private readonly random: RandomSource,
  ) {}

  async erase(p: Principal, password: string): Promise<ProfileErasureView> {
    const user = await this.users.confirmPassword(p.userId, password, 'account.erase');
    const pseudonym = `erased-${this.random.bytes(8).toString('hex')}`;
    const result = await this.repo.transaction(async (em) => {
      const { redacted, keptV1 } = await this.audit.pseudonymiseUser(p.userId, pseudonym, em);
      await this.notifications.forgetRecipient(em, user.email);
      await this.users.deleteAccount(em, p.userId);
      await this.audit.record(
        {
          action: 'account.erase',
          outcome: 'success',
          actorType: 'system',
          targetType: 'user',
          targetId: pseudonym,
          ip: null,
          userAgent: null,
          details: { auditEventsPseudonymised: redacted, v1EventsKept: keptV1 },
        },
        em,
      );
      await this.changes.publish(em, USER_CHANGES_TOPIC, p.userId);
      return redacted;
    });
    this.changes.emitLocal(USER_CHANGES_TOPIC, p.userId);
    return { erased: true, pseudonym, auditEventsPseudonymised: result };
  }
}
