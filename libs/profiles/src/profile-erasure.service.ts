import { Injectable } from '@nestjs/common';
import { AccountData, AuditTrail, ChangeFeed, Principal, USER_CHANGES_TOPIC } from '@app/core';
import { RandomSource } from '@app/crypto';
import { ProfileErasureView } from './dto/profile.response';
import { ProfilesRepository } from './profiles.repository';

/**
 * Erasure (GDPR art. 17), confirmed with the password: in one transaction every context erases its part through
 * AccountData (audit events pseudonymised with a random pseudonym, the hash chain still verifying; mail to the person
 * dropped from the outbox; the account deleted last with its profile, sessions and API keys), then the erasure is
 * audited. Caches of their keys are dropped on every instance before the call returns.
 */
@Injectable()
export class ProfileErasureService {
  constructor(
    private readonly repo: ProfilesRepository,
    private readonly parts: AccountData,
    private readonly audit: AuditTrail,
    private readonly changes: ChangeFeed,
    private readonly random: RandomSource,
  ) {}

  async erase(p: Principal, password: string): Promise<ProfileErasureView> {
    const { email } = await this.parts.confirmOwner(p.userId, password, 'account.erase', p.sessionId);
    const pseudonym = `erased-${this.random.bytes(8).toString('hex')}`;
    const facts = await this.repo.transaction(async (em) => {
      const reported = await this.parts.erase({ userId: p.userId, email, pseudonym }, em);
      await this.audit.record(
        {
          action: 'account.erase',
          outcome: 'success',
          actorType: 'system',
          targetType: 'user',
          targetId: pseudonym,
          ip: null,
          userAgent: null,
          details: reported,
        },
        em,
      );
      await this.changes.publish(em, USER_CHANGES_TOPIC, p.userId);
      return reported;
    });
    this.changes.emitLocal(USER_CHANGES_TOPIC, p.userId);
    return { erased: true, pseudonym, auditEventsPseudonymised: Number(facts.auditEventsPseudonymised ?? 0) };
  }
}
