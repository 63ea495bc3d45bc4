import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { AccountData } from '@app/core';
import { NotificationsService } from '@app/notifications';
import type { EntityManager } from 'typeorm';
import { CheckStatus, statusRank } from './certificate-checks';
import type { Observation } from './certificate-inspector';
import { daysLeft } from './certificate.view';
import type { Certificate } from './entities/certificate.entity';

export type AlertKind = 'certificate.alert' | 'certificate.renewed' | 'certificate.recovered';

export interface AlertDecision {
  kind?: AlertKind;
  previous: CheckStatus;
  /** The state remembered for the next check's comparison. */
  nextState: CheckStatus;
}

/**
 * Deduplicated alerting: a check alerts when it is worse than the state last alerted on (OK → WARN, WARN → CRITICAL,
 * OK → CRITICAL), when a file or endpoint now holds another certificate (renewed), or when it is back to OK. The same
 * state on the next day's check says nothing. The caller holds the certificate row locked, so two checks at once
 * cannot both alert.
 */
export function decideAlert(
  row: Pick<Certificate, 'alertState' | 'sourceType' | 'fingerprintSha256'>,
  obs: Pick<Observation, 'status' | 'chain'>,
): AlertDecision {
  const previous = row.alertState;
  const next = obs.status;
  const seen = obs.chain?.[0]?.fingerprint256;
  const renewed = row.sourceType !== 'pem' && !!row.fingerprintSha256 && !!seen && seen !== row.fingerprintSha256;
  let kind: AlertKind | undefined;
  if (renewed) kind = 'certificate.renewed';
  else if (statusRank(next) > statusRank(previous)) kind = 'certificate.alert';
  else if (next === 'OK' && previous !== 'OK') kind = 'certificate.recovered';
  return { kind, previous, nextState: next };
}

/**
 * One alert: a mail to the certificate's owner and a signed webhook (when `NOTIFY_WEBHOOK_URL` is set), both through
 * the outbox in the check's transaction, an audit event, a log line. Without a webhook the owner's mail is what
 * reaches someone.
 */
@Injectable()
export class CertificateAlerts {
  private readonly logger = new Logger('CertificateAlerts');

  constructor(
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    private readonly accounts: AccountData,
  ) {}

  /** The owner's notice: what happened to which certificate, until when, and the failing checks. */
  mail(data: Record<string, unknown>, kind: AlertKind): { subject: string; text: string } {
    const what = String(data.label ?? data.subject ?? data.certificateId);
    const problems = (data.problems as { name: string; status: string; reason: string }[]).map(
      (p) => `- ${p.name} (${p.status}): ${p.reason}`,
    );
    const headline =
      kind === 'certificate.renewed'
        ? `The certificate "${what}" was replaced by a new one (status ${String(data.status)}).`
        : kind === 'certificate.recovered'
          ? `The certificate "${what}" is OK again (was ${String(data.previousStatus)}).`
          : `The certificate "${what}" is now ${String(data.status)} (was ${String(data.previousStatus)}).`;
    return {
      subject: `Certificate ${what}: ${kind === 'certificate.renewed' ? 'renewed' : String(data.status)}`,
      text: [
        headline,
        `Subject: ${String(data.subject ?? 'unknown')}`,
        `Valid until: ${String(data.notAfter ?? 'unknown')}${data.daysLeft === null ? '' : ` (${String(data.daysLeft)} days left)`}`,
        ...(problems.length ? ['Problems:', ...problems] : []),
        `Certificate id: ${String(data.certificateId)}`,
      ].join('\n'),
    };
  }

  payload(row: Certificate, obs: Observation, decision: AlertDecision, checkedAt: Date): Record<string, unknown> {
    const leaf = obs.chain?.[0];
    const notAfter = leaf ? new Date(leaf.validTo) : row.notAfter;
    return {
      certificateId: row.id,
      label: row.label,
      status: obs.status,
      previousStatus: decision.previous,
      source:
        row.sourceType === 'endpoint'
          ? { type: 'endpoint', host: row.host, port: row.port, servername: row.servername }
          : row.sourceType === 'file'
            ? { type: 'file', path: row.path }
            : { type: 'pem' },
      subject: leaf ? leaf.subject.split('\n').join(', ') : row.subject,
      notAfter: notAfter?.toISOString() ?? null,
      daysLeft: notAfter ? daysLeft(notAfter, checkedAt) : null,
      fingerprintSha256: leaf?.fingerprint256 ?? row.fingerprintSha256,
      previousFingerprintSha256: decision.kind === 'certificate.renewed' ? row.fingerprintSha256 : undefined,
      problems: obs.results.filter((r) => r.status !== 'OK'),
      checkedAt: checkedAt.toISOString(),
    };
  }

  async raise(
    em: EntityManager,
    row: Certificate,
    obs: Observation,
    decision: AlertDecision,
    checkedAt: Date,
  ): Promise<() => void> {
    const kind = decision.kind!;
    const data = this.payload(row, obs, decision, checkedAt);
    const owner = row.ownerId ? await this.accounts.mailAddressOf(row.ownerId, em) : null;
    if (owner) await this.notifications.enqueueEmail(em, { kind, to: owner, ...this.mail(data, kind) });
    await this.notifications.enqueueWebhook(em, { kind, data });
    await this.audit.record(
      {
        action: kind,
        outcome: 'success',
        actorType: 'system',
        targetType: 'certificate',
        targetId: row.id,
        ip: null,
        userAgent: null,
        details: {
          status: obs.status,
          previous: decision.previous,
          fingerprint: data.fingerprintSha256,
          problems: obs.results.filter((r) => r.status !== 'OK').map((r) => r.name),
        },
      },
      em,
    );
    // Logged once the transaction has committed (the caller runs this afterwards).
    return () =>
      this.logger.warn(
        {
          certificateId: row.id,
          kind,
          status: obs.status,
          previous: decision.previous,
          subject: data.subject,
          notAfter: data.notAfter,
        },
        `certificate ${kind.slice(12)}`,
      );
  }
}
