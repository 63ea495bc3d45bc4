import type { X509Certificate } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { CheckResult, CheckStatus } from '../../libs/certificates/src/certificate-checks';
import type { CertificateInspector, Observation } from '../../libs/certificates/src/certificate-inspector';
import type { CertificateFilter, CertificatesRepository } from '../../libs/certificates/src/certificates.repository';
import type { CertificateCheck } from '../../libs/certificates/src/entities/certificate-check.entity';
import type { Certificate } from '../../libs/certificates/src/entities/certificate.entity';
import type { CertificateSort } from '../../libs/certificates/src/dto/certificate.dto';
import { compareKeyset, isAfterPosition, KeysetPosition, sortValue } from '@app/core';
import { FakeDatabase, transactionOf, TransactionalStore } from './core';

const copy = <T>(v: T): T => structuredClone(v);

/**
 * CertificatesRepository over Maps: rows and check history, copied in and out, rolled back with a failed transaction
 * of the FakeDatabase; writes must go through an open transaction, and each check row keeps the one that wrote it.
 */
export class FakeCertificatesRepository implements TransactionalStore {
  readonly rows = new Map<string, Certificate>();
  checkRows: (CertificateCheck & { transaction: number | undefined })[] = [];
  /** Makes the next insert fail with this error (e.g. a unique violation from a parallel request). */
  insertFailure?: Error;
  private nextId = 1;

  constructor(private readonly db: FakeDatabase) {
    db.register(this);
  }

  // Rows are replaced, never changed in place (see update), so keeping the references is a snapshot.
  snapshot(): unknown {
    return { rows: new Map(this.rows), checks: [...this.checkRows] };
  }

  restore(state: unknown): void {
    const saved = state as { rows: Map<string, Certificate>; checks: FakeCertificatesRepository['checkRows'] };
    this.rows.clear();
    for (const [k, v] of saved.rows) this.rows.set(k, v);
    this.checkRows = saved.checks;
  }

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async insert(em: EntityManager, row: Partial<Certificate>): Promise<Certificate> {
    this.db.write(this, em, 'certificate insert');
    if (this.insertFailure) {
      const err = this.insertFailure;
      this.insertFailure = undefined;
      throw err;
    }
    const id = `c0000000-0000-4000-8000-${String(this.nextId++).padStart(12, '0')}`;
    const stored = {
      id,
      ownerId: null,
      label: null,
      status: null,
      statusReason: null,
      fingerprintSha256: null,
      subject: null,
      notAfter: null,
      chain: [],
      lastCheckedAt: null,
      alertState: 'OK',
      ...row,
    } as Certificate;
    this.rows.set(id, copy(stored));
    return copy(stored);
  }

  /** A row added directly (as if created earlier). */
  seed(row: Partial<Certificate>): Certificate {
    const id = `c0000000-0000-4000-8000-${String(this.nextId++).padStart(12, '0')}`;
    const stored = {
      id,
      ownerId: null,
      label: null,
      sourceType: 'endpoint',
      sourceKey: `endpoint:host-${id}:443:`,
      pem: null,
      path: null,
      host: `host-${id}`,
      port: 443,
      servername: null,
      expectedHost: `host-${id}`,
      status: null,
      statusReason: null,
      fingerprintSha256: null,
      subject: null,
      notAfter: null,
      chain: [],
      lastCheckedAt: null,
      alertState: 'OK',
      createdAt: new Date('2026-01-01T00:00:00Z'),
      updatedAt: new Date('2026-01-01T00:00:00Z'),
      ...row,
    } as Certificate;
    this.rows.set(id, copy(stored));
    return copy(stored);
  }

  async findById(id: string): Promise<Certificate | null> {
    const row = this.rows.get(id);
    return row ? copy(row) : null;
  }

  findForUpdate(_em: EntityManager, id: string): Promise<Certificate | null> {
    return this.findById(id);
  }

  async findBySource(ownerId: string | null, sourceKey: string): Promise<Certificate | null> {
    const row = [...this.rows.values()].find((r) => r.ownerId === ownerId && r.sourceKey === sourceKey);
    return row ? copy(row) : null;
  }

  async countOwned(ownerId: string): Promise<number> {
    return [...this.rows.values()].filter((r) => r.ownerId === ownerId).length;
  }

  async update(em: EntityManager, id: string, changes: Partial<Certificate>): Promise<void> {
    this.db.write(this, em, 'certificate update');
    const row = this.rows.get(id);
    if (row) this.rows.set(id, { ...row, ...copy(changes) });
  }

  async delete(em: EntityManager, id: string): Promise<void> {
    this.db.write(this, em, 'certificate delete');
    this.rows.delete(id);
    this.checkRows = this.checkRows.filter((c) => c.certificateId !== id);
  }

  async list(
    filter: CertificateFilter,
    sort: CertificateSort,
    limit: number,
    after?: KeysetPosition,
  ): Promise<Certificate[]> {
    const field = sort.replace(/^-/, '') as 'notAfter' | 'createdAt' | 'lastCheckedAt' | 'subject';
    const desc = sort.startsWith('-');
    const pos = (r: Certificate): KeysetPosition => ({ value: sortValue(r[field]), id: r.id });
    return [...this.rows.values()]
      .filter(
        (r) =>
          (!filter.ownerId || r.ownerId === filter.ownerId) &&
          (!filter.status || r.status === filter.status) &&
          (!filter.source || r.sourceType === filter.source) &&
          (!filter.expiresBefore || (r.notAfter !== null && r.notAfter <= filter.expiresBefore)),
      )
      .filter((r) => !after || isAfterPosition(pos(r), after, desc))
      .sort((a, b) => compareKeyset(pos(a), pos(b), desc))
      .slice(0, limit)
      .map(copy);
  }

  async idsAfter(afterId: string | null, limit: number): Promise<string[]> {
    return [...this.rows.keys()]
      .sort()
      .filter((id) => afterId === null || id > afterId)
      .slice(0, limit);
  }

  async countAll(): Promise<number> {
    return this.rows.size;
  }

  async addCheck(em: EntityManager, check: Partial<CertificateCheck>): Promise<void> {
    this.db.write(this, em, 'certificate check insert');
    this.checkRows.push({
      ...copy(check),
      id: String(this.checkRows.length + 1),
      transaction: transactionOf(em),
    } as FakeCertificatesRepository['checkRows'][number]);
  }

  async checks(certificateId: string, limit: number): Promise<CertificateCheck[]> {
    return this.checkRows
      .filter((c) => c.certificateId === certificateId)
      .reverse()
      .slice(0, limit)
      .map(({ transaction: _transaction, ...c }) => c as CertificateCheck);
  }

  async pruneChecks(em: EntityManager, certificateId: string, keep: number): Promise<void> {
    this.db.write(this, em, 'certificate check prune');
    const mine = this.checkRows.filter((c) => c.certificateId === certificateId);
    const drop = new Set(mine.slice(0, Math.max(0, mine.length - keep)));
    this.checkRows = this.checkRows.filter((c) => !drop.has(c));
  }

  stored(id: string): Certificate {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no certificate ${id}`);
    return row;
  }

  asRepository(): CertificatesRepository {
    return this as unknown as CertificatesRepository;
  }
}

/** An observation as the inspector would make it: one result per given status, the worst one as the status. */
export function observation(
  status: CheckStatus,
  chain: X509Certificate[] | null,
  results: CheckResult[] = [],
): Observation {
  const all: CheckResult[] = results.length
    ? results
    : [
        { name: chain ? 'expiry' : 'retrieval', status, reason: status === 'OK' ? 'fine' : `${status} for the test` },
        { name: 'chain', status: 'OK', reason: 'complete' },
      ];
  return { chain, results: all, status, protocol: chain ? 'TLSv1.3' : null, cipher: null };
}

/**
 * An inspector that answers what the test scripted: `next` per source (by host, path or 'pem'), `during` runs while
 * the "network" is busy (to let another check happen meanwhile), `failFor` makes inspecting that source throw.
 */
export class ScriptedInspector {
  readonly seen: string[] = [];
  readonly next = new Map<string, Observation>();
  fallback: Observation = observation('OK', null);
  during?: () => void | Promise<void>;
  failFor = new Set<string>();
  /** Let other checks run while this one "waits for the network" (one event-loop turn). */
  slow = false;
  inFlight = 0;
  maxInFlight = 0;

  async inspect(source: Pick<Certificate, 'sourceType' | 'host' | 'path'>): Promise<Observation> {
    const name = source.host ?? source.path ?? 'pem';
    this.seen.push(name);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.slow) await new Promise((r) => setImmediate(r));
      await this.during?.();
      if (this.failFor.has(name)) throw new Error(`inspecting ${name} blew up`);
      return this.next.get(name) ?? this.fallback;
    } finally {
      this.inFlight--;
    }
  }

  asInspector(): CertificateInspector {
    return this as unknown as CertificateInspector;
  }
}
