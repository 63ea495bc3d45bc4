import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import {
  ADMIN_SCOPE,
  Clock,
  CursorCodec,
  DomainException,
  sortValue,
  isUniqueViolation,
  Page,
  Principal,
} from '@app/core';
import { CertificateFiles, FileRefused } from './certificate-files';
import { CertificateInspector } from './certificate-inspector';
import { CertificateMonitor } from './certificate-monitor';
import { CertificateParseError, parsePemChain, toPem } from './certificate-parser';
import { toDetailView, toView } from './certificate.view';
import { CertificatesErrorCode, CertificatesException } from './certificates-error-codes';
import { CertificatesRepository } from './certificates.repository';
import type { CreateCertificateDto, ListCertificatesQueryDto } from './dto/certificate.dto';
import type { CertificateDetailView, CertificateView } from './dto/certificate.response';
import { EndpointPolicy, EndpointRefused } from './endpoint-policy';
import type { Certificate } from './entities/certificate.entity';

const isAdmin = (p: Principal) => p.scopes.includes(ADMIN_SCOPE);
const HISTORY_SHOWN = 20;
const MANUAL_CHECK_INTERVAL_MS = 10_000;
/** Entries one user may monitor (each is probed daily and can alert). */
export const MAX_CERTIFICATES_PER_OWNER = 500;

type NewSource = Pick<
  Certificate,
  'sourceType' | 'sourceKey' | 'pem' | 'path' | 'host' | 'port' | 'servername' | 'expectedHost'
>;

/** The inventory as the API offers it: add (checked at once), list, read, delete, check now. Own entries only, except for admins. */
@Injectable()
export class CertificatesService {
  constructor(
    private readonly repo: CertificatesRepository,
    private readonly inspector: CertificateInspector,
    private readonly monitor: CertificateMonitor,
    private readonly files: CertificateFiles,
    private readonly policy: EndpointPolicy,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly cursors: CursorCodec,
  ) {}

  async create(p: Principal, dto: CreateCertificateDto): Promise<CertificateDetailView> {
    const source = await this.sourceOf(dto);
    if (await this.repo.findBySource(p.userId, source.sourceKey))
      throw new CertificatesException(
        CertificatesErrorCode.CERTIFICATE_EXISTS,
        'You already monitor this certificate source.',
      );
    if ((await this.repo.countOwned(p.userId)) >= MAX_CERTIFICATES_PER_OWNER)
      throw new CertificatesException(
        CertificatesErrorCode.CERTIFICATE_LIMIT_REACHED,
        `You already monitor ${MAX_CERTIFICATES_PER_OWNER} certificates; delete some first.`,
      );
    // The first look happens before the transaction: an endpoint may take seconds, and no lock should wait on it.
    const observation = await this.inspector.inspect(source);
    const now = this.clock.now();
    let afterCommit: (() => void) | undefined;
    let row: Certificate;
    try {
      row = await this.repo.transaction(async (em) => {
        const created = await this.repo.insert(em, {
          ...source,
          ownerId: p.userId,
          label: dto.label ?? null,
          alertState: 'OK',
          createdAt: now,
          updatedAt: now,
        });
        const applied = await this.monitor.apply(em, created, observation, 'create');
        afterCommit = applied.afterCommit;
        await this.audit.record(
          {
            action: 'certificate.create',
            outcome: 'success',
            actorType: p.kind === 'apiKey' ? 'api_key' : 'user',
            actorId: p.userId,
            targetType: 'certificate',
            targetId: created.id,
            details: { source: source.sourceType, sourceKey: source.sourceKey, status: observation.status },
          },
          em,
        );
        return applied.outcome.row;
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new CertificatesException(
          CertificatesErrorCode.CERTIFICATE_EXISTS,
          'You already monitor this certificate source.',
        );
      throw err;
    }
    afterCommit?.();
    return toDetailView(row, await this.repo.checks(row.id, HISTORY_SHOWN), this.clock.now());
  }

  /** Validates the source and normalises it; refusals here store nothing. */
  private async sourceOf(dto: CreateCertificateDto): Promise<NewSource> {
    const given = [dto.pem !== undefined, dto.path !== undefined, dto.host !== undefined].filter(Boolean).length;
    const invalid = (detail: string) =>
      new CertificatesException(CertificatesErrorCode.CERTIFICATE_SOURCE_INVALID, detail);
    if (given !== 1) throw invalid('Give exactly one of pem, path, or host (with port).');
    if (dto.host === undefined && (dto.port !== undefined || dto.servername !== undefined))
      throw invalid('port and servername go with host.');
    if (dto.host !== undefined && dto.expectedHost !== undefined)
      throw invalid('An endpoint is checked against its servername or host; expectedHost is for pem and path sources.');
    const base = {
      pem: null,
      path: null,
      host: null,
      port: null,
      servername: null,
      expectedHost: dto.expectedHost?.toLowerCase() ?? null,
    };
    if (dto.pem !== undefined) {
      try {
        const { chain, privateKeyPresent } = parsePemChain(dto.pem);
        if (privateKeyPresent)
          throw new CertificateParseError('the text holds a private key: send certificates only (nothing was stored)');
        return { ...base, sourceType: 'pem', sourceKey: `pem:${chain[0].fingerprint256}`, pem: toPem(chain) };
      } catch (err) {
        if (err instanceof CertificateParseError)
          throw new CertificatesException(
            CertificatesErrorCode.CERTIFICATE_PEM_INVALID,
            `Unusable PEM: ${err.message}.`,
          );
        throw err;
      }
    }
    if (dto.path !== undefined) {
      try {
        const path = await this.files.resolveAllowed(dto.path);
        return { ...base, sourceType: 'file', sourceKey: `file:${path}`, path };
      } catch (err) {
        if (err instanceof FileRefused)
          throw new CertificatesException(CertificatesErrorCode.CERTIFICATE_PATH_NOT_ALLOWED, `${err.message}.`);
        throw err;
      }
    }
    const host = dto.host!.toLowerCase().replace(/\.$/, '');
    const port = dto.port ?? 443;
    const servername = dto.servername?.toLowerCase().replace(/\.$/, '') ?? null;
    try {
      await this.policy.authorize(host);
    } catch (err) {
      if (err instanceof EndpointRefused)
        throw new CertificatesException(CertificatesErrorCode.CERTIFICATE_ENDPOINT_NOT_ALLOWED, `${err.message}.`);
      throw err;
    }
    return {
      ...base,
      sourceType: 'endpoint',
      sourceKey: `endpoint:${host}:${port}:${servername ?? ''}`,
      host,
      port,
      servername,
      expectedHost: servername ?? host,
    };
  }

  async list(p: Principal, q: ListCertificatesQueryDto): Promise<Page<CertificateView>> {
    const limit = q.limit ?? 20;
    const now = this.clock.now();
    const sort = q.sort ?? 'notAfter';
    const ownerId = isAdmin(p) ? undefined : p.userId;
    // The cursor continues this listing only: same caller, filters and sort (the expiry window as asked, in days).
    const context = `certificates|${sort}|${JSON.stringify([ownerId ?? null, q.status ?? null, q.source ?? null, q.expiresWithinDays ?? null])}`;
    const rows = await this.repo.list(
      {
        ownerId,
        status: q.status,
        source: q.source,
        expiresBefore:
          q.expiresWithinDays === undefined ? undefined : new Date(now.getTime() + q.expiresWithinDays * 86_400_000),
      },
      sort,
      limit + 1,
      this.cursors.decode(context, q.cursor),
    );
    const field = sort.replace(/^-/, '') as 'notAfter' | 'createdAt' | 'lastCheckedAt' | 'subject';
    return this.cursors.page(
      context,
      rows,
      limit,
      (r) => ({ value: sortValue(r[field]), id: r.id }),
      (r) => toView(r, now),
    );
  }

  async get(p: Principal, id: string): Promise<CertificateDetailView> {
    const row = await this.visible(p, id);
    return toDetailView(row, await this.repo.checks(id, HISTORY_SHOWN), this.clock.now());
  }

  async checkNow(p: Principal, id: string): Promise<CertificateDetailView> {
    const row = await this.visible(p, id);
    // At most one manual check per certificate every 10 s: more would only let a caller flood the webhook with alerts.
    if (row.lastCheckedAt && this.clock.nowMs() - row.lastCheckedAt.getTime() < MANUAL_CHECK_INTERVAL_MS) {
      return toDetailView(row, await this.repo.checks(id, HISTORY_SHOWN), this.clock.now());
    }
    const outcome = await this.monitor.check(id, 'manual');
    if (!outcome) throw this.notFound();
    return toDetailView(outcome.row, await this.repo.checks(id, HISTORY_SHOWN), this.clock.now());
  }

  async remove(p: Principal, id: string): Promise<void> {
    await this.repo.transaction(async (em) => {
      const row = await this.repo.findForUpdate(em, id);
      if (!row || !this.mayUse(p, row)) throw this.notFound();
      await this.repo.delete(em, id);
      await this.audit.record(
        {
          action: 'certificate.delete',
          outcome: 'success',
          actorType: p.kind === 'apiKey' ? 'api_key' : 'user',
          actorId: p.userId,
          targetType: 'certificate',
          targetId: id,
          details: { sourceKey: row.sourceKey },
        },
        em,
      );
    });
  }

  private mayUse(p: Principal, row: Certificate): boolean {
    return row.ownerId === p.userId || isAdmin(p);
  }

  /** Someone else's certificate answers 404, so ids cannot be probed. */
  private async visible(p: Principal, id: string): Promise<Certificate> {
    const row = await this.repo.findById(id);
    if (!row || !this.mayUse(p, row)) throw this.notFound();
    return row;
  }

  private notFound(): DomainException {
    return new CertificatesException(CertificatesErrorCode.CERTIFICATE_NOT_FOUND, 'No such certificate.');
  }
}
