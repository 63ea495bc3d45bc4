import { JobScheduler } from '@app/core';
import { Command, CommandRunner, Option } from 'nest-commander';
import { counts, print, table } from '../output';

@Command({
  name: 'jobs:run',
  arguments: '[name]',
  description: 'Run a scheduled job now under its lock, recorded in job_runs; --list shows every job and its last runs',
})
export class JobsRunCommand extends CommandRunner {
  constructor(private readonly scheduler: JobScheduler) {
    super();
  }

  async run([name]: string[], o: { json?: boolean; list?: boolean }): Promise<void> {
    if (o.list) return this.list(o.json);
    if (!name) throw new Error(`name a job (jobs: ${this.scheduler.names.join(', ')}), or pass --list`);
    if (!this.scheduler.names.includes(name))
      throw new Error(`unknown job "${name}"; jobs: ${this.scheduler.names.join(', ')}`);
    const result = await this.scheduler.runNow(name);
    if (result.status === 'skipped')
      throw new Error(`job ${name} is running on another instance; try again when it has finished`);
    print(
      o.json,
      result,
      () => `${name}: ${result.outcome} ${counts(result.counts)}${result.error ? ` (${result.error})` : ''}`,
    );
    if (result.outcome !== 'success') process.exitCode = 1;
  }

  private async list(json?: boolean): Promise<void> {
    const jobs = await this.scheduler.describe();
    print(json, jobs, () =>
      table(
        ['job', 'schedule', 'last run', 'by', 'outcome', 'counts'],
        jobs.map((j) => {
          const last = j.lastRuns[0];
          return [
            j.name,
            j.schedule,
            last ? new Date(last.startedAt).toISOString().slice(0, 19) : 'never',
            last?.instance ?? '-',
            last?.outcome ?? '-',
            counts(last?.counts),
          ];
        }),
      ),
    );
  }

  @Option({ flags: '--list', description: 'every job: schedule, last run, its outcome and counts' })
  parseList(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}
