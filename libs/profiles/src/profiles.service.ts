import { Injectable } from '@nestjs/common';
import { AccessRules, ADMIN_SCOPE, AuditTrail, Clock, Principal, StepUpWindow } from '@app/core';
import { DecryptionFailed } from '@app/crypto';
import { UpdateProfileDto } from './dto/profile.dto';
import { ProfileSearchResultView, ProfileView } from './dto/profile.response';
import { Profile } from './entities/profile.entity';
import { ProfileCodec, SensitiveValues } from './profile-codec';
import { ProfilesErrorCode, ProfilesException } from './profiles-error-codes';
import { ProfilesRepository } from './profiles.repository';
import { RevealAuditor } from './reveal-auditor';

export { ProfileView } from './dto/profile.response';

const isAdmin = (p: Principal) => p.scopes.includes(ADMIN_SCOPE);
/**
 * `?reveal=true` (and the export) needs this on top of the route's profiles:read: the scope, and from a session a
 * recent authentication (a sensitive action; a key holding the scope may reveal, that is what the scope is for).
 */
const REVEAL_RULE = AccessRules.sensitive(['profiles:read_sensitive']);
/**
 * Setting or clearing a sensitive field (SSN, card, medical): the route's rule without its @AllowUnverifiedEmail, so an
 * account that has not verified its address may change its public fields only (403 EMAIL_NOT_VERIFIED otherwise).
 */
const WRITE_SENSITIVE_RULE = AccessRules.principal(['profiles:write']);

/**
 * Profiles with per-field encrypted PII. Reads are masked unless `reveal` is asked by a principal holding
 * `profiles:read_sensitive` (a session must also have proved its password within the step-up window); every reveal is
 * audited. Every
 * read checks the row's integrity MAC: a row changed behind the service's back answers 409 and is audited.
 */
@Injectable()
export class ProfilesService {
  constructor(
    private readonly repo: ProfilesRepository,
    private readonly codec: ProfileCodec,
    private readonly audit: AuditTrail,
    private readonly reveals: RevealAuditor,
    private readonly clock: Clock,
    private readonly stepUp: StepUpWindow,
  ) {}

  async get(p: Principal, userId: string, reveal = false): Promise<ProfileView> {
    if (userId !== p.userId && !isAdmin(p))
      throw new ProfilesException(ProfilesErrorCode.PROFILE_NOT_FOUND, 'No such profile.');
    if (reveal) this.assertMayReveal(p);
    const row = await this.repo.find(userId);
    if (!row) return emptyView(userId);
    await this.assertIntact(row);
    if (!reveal) return maskedView(row);
    const values = await this.openOrFail(row);
    await this.reveals.reveal(p, userId, ['ssn', 'cardNumber', 'medicalInfo']);
    return {
      ...maskedView(row),
      ssn: values.ssn,
      cardNumber: values.cardNumber,
      medicalInfo: values.medicalInfo,
      revealed: true,
    };
  }

  /** Merges the given fields (absent: unchanged, null: cleared); every envelope of the row moves to the current key. */
  async update(p: Principal, dto: UpdateProfileDto): Promise<ProfileView> {
    if (dto.ssn !== undefined || dto.cardNumber !== undefined || dto.medicalInfo !== undefined)
      this.stepUp.assert(p, WRITE_SENSITIVE_RULE);
    const row = await this.repo.transaction(async (em) => {
      await this.repo.lockUser(em, p.userId);
      const existing = await this.repo.findForUpdate(em, p.userId);
      if (existing) await this.assertIntact(existing);
      const current: SensitiveValues = existing
        ? await this.openOrFail(existing)
        : { ssn: null, cardNumber: null, medicalInfo: null };
      const next =
        existing ??
        Object.assign(new Profile(), {
          userId: p.userId,
          displayName: null,
          phone: null,
          address: null,
          dateOfBirth: null,
        });
      for (const f of ['displayName', 'phone', 'address', 'dateOfBirth'] as const)
        if (dto[f] !== undefined) next[f] = dto[f] ?? null;
      this.codec.seal(next, {
        ssn: dto.ssn !== undefined ? dto.ssn : current.ssn,
        cardNumber: dto.cardNumber !== undefined ? dto.cardNumber : current.cardNumber,
        medicalInfo: dto.medicalInfo !== undefined ? dto.medicalInfo : current.medicalInfo,
      });
      next.updatedAt = this.clock.now();
      await this.repo.save(em, next);
      const changed = Object.keys(dto);
      await this.audit.record(
        {
          action: 'profile.update',
          outcome: 'success',
          actorId: p.userId,
          actorType: p.kind === 'apiKey' ? 'api_key' : 'user',
          targetType: 'user',
          targetId: p.userId,
          details: { fields: changed },
        },
        em,
      );
      return next;
    });
    return maskedView(row);
  }

  /** Admin lookup by SSN through the blind index: no row is decrypted to search. */
  async searchBySsn(p: Principal, ssn: string): Promise<ProfileSearchResultView> {
    const rows = await this.repo.findByBlindIndex(this.codec.blindIndexCandidates(ssn));
    await this.audit.record({
      action: 'profile.search_ssn',
      outcome: 'success',
      actorId: p.userId,
      details: { matches: rows.length },
    });
    const items: ProfileView[] = [];
    for (const row of rows) {
      await this.assertIntact(row);
      items.push(maskedView(row));
    }
    return { items };
  }

  /** Unmasked data needs profiles:read_sensitive and, for a session, a recent authentication (403 RECENT_LOGIN_REQUIRED). */
  assertMayReveal(p: Principal): void {
    this.stepUp.assert(p, REVEAL_RULE);
  }

  private async assertIntact(row: Profile): Promise<void> {
    if (this.codec.intact(row)) return;
    await this.integrityFailure(row);
  }

  private async openOrFail(row: Profile): Promise<SensitiveValues> {
    try {
      return this.codec.open(row);
    } catch (err) {
      if (err instanceof DecryptionFailed) return this.integrityFailure(row);
      throw err;
    }
  }

  private async integrityFailure(row: Profile): Promise<never> {
    await this.audit.record({
      action: 'profile.integrity_failed',
      outcome: 'failure',
      actorType: 'system',
      targetType: 'user',
      targetId: row.userId,
    });
    throw new ProfilesException(
      ProfilesErrorCode.PROFILE_INTEGRITY_FAILED,
      'The stored profile failed its integrity check; it is not served.',
    );
  }
}

export function maskedView(row: Profile): ProfileView {
  return {
    userId: row.userId,
    displayName: row.displayName,
    phone: row.phone,
    address: row.address,
    dateOfBirth: row.dateOfBirth,
    ssn: row.ssnLast4 ? `***-**-${row.ssnLast4}` : null,
    cardNumber: row.cardLast4 ? `**** **** **** ${row.cardLast4}` : null,
    revealed: false,
    updatedAt: row.updatedAt.toISOString(),
  };
}

function emptyView(userId: string): ProfileView {
  return {
    userId,
    displayName: null,
    phone: null,
    address: null,
    dateOfBirth: null,
    ssn: null,
    cardNumber: null,
    revealed: false,
    updatedAt: null,
  };
}
