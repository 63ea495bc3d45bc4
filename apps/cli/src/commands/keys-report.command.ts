import { KeyReportsService } from '@app/api-keys';
import { Command, CommandRunner, Option } from 'nest-commander';
import { table } from '../output';

const indent = (text: string) => text.replace(/^/gm, '  ');

const SECTIONS = {
  withoutExpiry: 'without expiry',
  unused30Days: 'unused for 30+ days',
  holdingAdminAll: 'holding admin:all',
  expiringWithin7Days: 'expiring within 7 days',
  inGracePeriod: 'in rotation grace period',
} as const;

@Command({
  name: 'keys:report',
  description: 'API key hygiene: keys without expiry, unused 30+ days, holding admin:all, expiring soon, in grace',
})
export class KeysReportCommand extends CommandRunner {
  constructor(private readonly reports: KeyReportsService) {
    super();
  }

  async run(_params: string[], options: { json?: boolean }): Promise<void> {
    const report = await this.reports.hygiene();
    if (options.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    for (const [field, title] of Object.entries(SECTIONS) as [keyof typeof SECTIONS, string][]) {
      const keys = report[field];
      process.stdout.write(`${title}: ${keys.length}\n`);
      if (keys.length) {
        const rows = keys.map((k) => [
          k.prefix,
          k.name,
          k.ownerId,
          k.status,
          k.expiresAt?.slice(0, 10) ?? 'never',
          k.lastUsedAt?.slice(0, 16) ?? 'never',
        ]);
        process.stdout.write(`${indent(table(['prefix', 'name', 'owner', 'status', 'expires', 'last used'], rows))}\n`);
      }
    }
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}
