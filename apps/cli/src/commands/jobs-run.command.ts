import { JobScheduler } from '@app/core';
import { Command, CommandRunner, Option } from 'nest-commander';

@Command({ name: 'jobs:run', arguments: '<name>', description: 'Run a scheduled job now under its lock, recorded in job_runs (jobs:run --list names them)' })
export class JobsRunCommand extends CommandRunner {
  constructor(private readonly scheduler: JobScheduler) {
    super();
  }

  async run([name]: string[], o: { json?: boolean }): Promise<void> {
    if (!this.scheduler.names.includes(name)) throw new Error(`unknown job "${name}"; jobs: ${this.scheduler.names.join(', ')}`);
    const result = await this.scheduler.runNow(name);
    if (result.status === 'skipped') throw new Error(`job ${name} is running on another instance; try again when it has finished`);
    process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : `${name}: ${result.outcome} ${JSON.stringify(result.counts)}${result.error ? ` (${result.error})` : ''}\n`);
    if (result.outcome !== 'success') process.exitCode = 1;
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}
