import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '@app/api-keys';
import { AuditService } from '@app/audit';
import { AuthService, SessionsService } from '@app/auth';
import { Clock, Principal } from '@app/core';
import { ProfileExportView } from './dto/profile.response';
import { ProfilesService } from './profiles.service';

/**
 * Everything the service holds about the caller, in one JSON document (GDPR art. 15/20): account, profile with the
 * sensitive fields decrypted, API keys (metadata, never secrets or hashes), sessions and the audit events about them.
 * The same rule as a reveal applies (a session signed in within 15 minutes, or profiles:read_sensitive), and the
 * export itself is audited.
 */
@Injectable()
export class ProfileExportService {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly users: AuthService,
    private readonly keys: ApiKeysService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async export(p: Principal): Promise<ProfileExportView> {
    const profile = await this.profiles.get(p, p.userId, true);
    const apiKeys = [];
    let cursor: string | undefined;
    do {
      const page = await this.keys.list(
        { ...p, scopes: p.scopes.filter((s) => s !== 'admin:all') },
        { limit: 100, cursor },
      );
      apiKeys.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const document = {
      exportedAt: this.clock.now().toISOString(),
      account: await this.users.me(p.userId),
      profile,
      apiKeys,
      sessions: await this.sessions.list(p.userId, p.sessionId),
      auditEvents: await this.audit.aboutUser(p.userId),
    };
    await this.audit.record({
      action: 'profile.export',
      outcome: 'success',
      actorId: p.userId,
      actorType: p.kind === 'apiKey' ? 'api_key' : 'user',
      targetType: 'user',
      targetId: p.userId,
      details: { apiKeys: apiKeys.length, auditEvents: document.auditEvents.length },
    });
    return document;
  }
}
