import { ApiKeyJobs } from '@app/api-keys';
import { CERTIFICATE_CHECK_JOB, CertificateMonitor } from '@app/certificates';
import { JobCounts, JobRunner } from '@app/core';
import { NotificationsService } from '@app/notifications';
import { Command, CommandRunner, Option } from 'nest-commander';

@Command({ name: 'jobs:run', arguments: '<name>', description: 'Run a job now (recorded in job_runs): certificate-check, api-key-jobs, outbox-delivery' })
export class JobsRunCommand extends CommandRunner {
  private readonly jobs: Record<string, () => Promise<JobCounts>>;

  constructor(
    private readonly runner: JobRunner,
    monitor: CertificateMonitor,
    apiKeyJobs: ApiKeyJobs,
    notifications: NotificationsService,
  ) {
    super();
    this.jobs = {
      [CERTIFICATE_CHECK_JOB]: () => monitor.checkAll('manual'),
      'api-key-jobs': async () => ({ ...(await apiKeyJobs.runAll()) }),
      'outbox-delivery': async () => {
        let delivered = 0;
        for (let n = await notifications.deliverDue(); n > 0; n = await notifications.deliverDue()) delivered += n;
        return { tried: delivered };
      },
    };
  }

  async run([name]: string[], o: { json?: boolean }): Promise<void> {
    const job = Object.prototype.hasOwnProperty.call(this.jobs, name) ? this.jobs[name] : undefined;
    if (!job) throw new Error(`unknown job "${name}"; jobs: ${Object.keys(this.jobs).join(', ')}`);
    const result = await this.runner.run(name, `manual:${new Date().toISOString()}`, job);
    if (result.status === 'skipped') throw new Error(`job ${name} is running on another instance; try again when it has finished`);
    process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : `${name}: ${result.outcome} ${JSON.stringify(result.counts)}${result.error ? ` (${result.error})` : ''}\n`);
    if (result.outcome !== 'success') process.exitCode = 1;
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}
