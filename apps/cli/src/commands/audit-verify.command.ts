import { AuditService } from '@app/audit';
import { Command, CommandRunner, Option } from 'nest-commander';

@Command({
  name: 'audit:verify',
  description: 'Recompute the audit hash chain and name the first row that does not match',
})
export class AuditVerifyCommand extends CommandRunner {
  constructor(private readonly audit: AuditService) {
    super();
  }

  async run(_params: string[], options: { json?: boolean }): Promise<void> {
    const result = await this.audit.verify();
    const cp = result.checkpoint;
    // After a retention purge the chain is verified from its newest checkpoint; say so, with what it stands for.
    const from = cp
      ? ` from checkpoint after event ${cp.lastId} (hash ${cp.lastHash.slice(0, 16)}…, ${cp.deleted} events deleted ${cp.createdAt})`
      : ' from the first event';
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok) process.stdout.write(`audit chain OK: ${result.checked} events verified${from}\n`);
    else
      process.stdout.write(
        `audit chain BROKEN at event ${result.firstBadId}: ${result.reason} (${result.checked} events verified${from} before it)\n`,
      );
    if (!result.ok) process.exitCode = 2;
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}
