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
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok) process.stdout.write(`audit chain OK: ${result.checked} events verified\n`);
    else
      process.stdout.write(
        `audit chain BROKEN at event ${result.firstBadId}: ${result.reason} (${result.checked} events verified before it)\n`,
      );
    if (!result.ok) process.exitCode = 2;
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}
