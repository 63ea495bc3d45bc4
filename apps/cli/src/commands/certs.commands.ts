import { AppConfig, Clock, JobScheduler } from '@app/core';
import { CERTIFICATE_CHECK_JOB, CertificateMonitor, daysLeft, ensureDevCertificates } from '@app/certificates';
import { Command, CommandRunner, Option } from 'nest-commander';
import { counts, progressBar, table } from '../output';

const jsonOption = { flags: '--json', description: 'machine-readable output' };

@Command({
  name: 'certs:dev',
  description:
    'Create (or keep) a local development CA and a localhost/127.0.0.1/::1 server certificate under DATA_DIR/tls (keys 0600)',
})
export class CertsDevCommand extends CommandRunner {
  constructor(private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { json?: boolean }): Promise<void> {
    const r = await ensureDevCertificates(this.config.dataDir);
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return;
    }
    const made = (b: boolean) => (b ? 'created' : 'kept');
    process.stdout.write(
      [
        `CA          ${r.paths.caCert} (${made(r.createdCa)}; key ${r.paths.caKey}, 0600)`,
        `certificate ${r.paths.cert} (${made(r.createdLeaf)}; localhost, 127.0.0.1, ::1; until ${r.leafNotAfter})`,
        `key         ${r.paths.key} (0600)`,
        `trust the CA to avoid browser warnings, e.g. curl --cacert ${r.paths.caCert} https://localhost:8443/health/live`,
      ].join('\n') + '\n',
    );
  }

  @Option(jsonOption)
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'certs:check',
  description: 'Check every certificate in the inventory now (progress, then a table); alerts as the daily job does',
})
export class CertsCheckCommand extends CommandRunner {
  constructor(
    private readonly monitor: CertificateMonitor,
    private readonly jobs: JobScheduler,
    private readonly clock: Clock,
  ) {
    super();
  }

  async run(_: string[], o: { json?: boolean }): Promise<void> {
    const rows: { id: string; status: string; daysLeft: string; subject: string; source: string; reason: string }[] =
      [];
    const tty = process.stderr.isTTY && !o.json;
    const result = await this.jobs.runNow(CERTIFICATE_CHECK_JOB, () =>
      this.monitor.checkAll('manual', (done, total, outcome) => {
        if (outcome) {
          const r = outcome.row;
          rows.push({
            id: r.id,
            status: r.status ?? '-',
            daysLeft: r.notAfter ? String(daysLeft(r.notAfter, this.clock.now())) : '-',
            subject: r.subject ?? '-',
            source:
              r.sourceType === 'endpoint' ? `${r.host}:${r.port}` : r.sourceType === 'file' ? (r.path ?? '') : 'pem',
            reason: r.statusReason ?? '',
          });
        }
        if (tty) process.stderr.write(`\r${progressBar(done, total)} checked`);
      }),
    );
    if (tty) process.stderr.write('\n');
    if (result.status === 'skipped')
      throw new Error('another instance is running the certificate check right now; try again when it has finished');
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ ...result, certificates: rows })}\n`);
    } else {
      const cols = ['status', 'daysLeft', 'source', 'subject', 'reason'] as const;
      process.stdout.write(
        `${table(
          [...cols],
          rows.map((r) => cols.map((c) => r[c])),
        )}\n${counts(result.counts)}\n`,
      );
    }
    if (result.outcome === 'failed') process.exitCode = 1;
  }

  @Option(jsonOption)
  parseJson(): boolean {
    return true;
  }
}
