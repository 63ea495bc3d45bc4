import { Injectable } from '@nestjs/common';
import { AccountData, AuditTrail, Clock, Principal } from '@app/core';
import { ProfileExportView } from './dto/profile.response';
import { ProfilesService } from './profiles.service';

/**
 * Everything the service holds about the caller, in one JSON document (GDPR art. 15/20): each context's part from
 * AccountData in its order (account, profile with the sensitive fields decrypted, API keys without secrets, sessions,
 * audit events). The same rule as a reveal applies (checked before any part is read: profiles:read_sensitive and a
 * sign-in within 15 minutes), and the export itself is audited.
 */
@Injectable()
export class ProfileExportService {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly parts: AccountData,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  async export(p: Principal): Promise<ProfileExportView> {
    this.profiles.assertMayReveal(p);
    const parts = await this.parts.export(p);
    const document = { exportedAt: this.clock.now().toISOString(), ...parts };
    await this.audit.record({
      action: 'profile.export',
      outcome: 'success',
      actorId: p.userId,
      actorType: p.kind === 'apiKey' ? 'api_key' : 'user',
      targetType: 'user',
      targetId: p.userId,
      details: this.parts.exportCounts(document),
    });
    return document as unknown as ProfileExportView;
  }
}
