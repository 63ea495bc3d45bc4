import { calibrateArgon2 } from '@app/auth';
import { Command, CommandRunner, Option } from 'nest-commander';
import { wholeNumber } from '../flags';

@Command({
  name: 'auth:calibrate',
  description: 'Measure Argon2id here and recommend parameters for a target time (never below OWASP)',
})
export class AuthCalibrateCommand extends CommandRunner {
  async run(_: string[], o: { targetMs?: number; json?: boolean }): Promise<void> {
    const target = o.targetMs ?? 250;
    const result = await calibrateArgon2(target, 5, (row) => {
      if (!o.json)
        process.stdout.write(
          `  m=${row.memoryCost} KiB t=${row.timeCost} p=${row.parallelism}: ${row.medianMs.toFixed(1)} ms\n`,
        );
    });
    const r = result.recommended;
    if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        `recommended for ${target} ms: ARGON2_MEMORY_KIB=${r.memoryCost} ARGON2_TIME_COST=${r.timeCost} ARGON2_PARALLELISM=${r.parallelism} (${r.medianMs.toFixed(1)} ms)\n`,
      );
      if (result.targetBelowMinimum)
        process.stdout.write(
          'note: even the OWASP minimum exceeds the target here; keeping the minimum (add CPU rather than lowering it)\n',
        );
    }
  }

  @Option({ flags: '--target-ms <ms>', description: 'target time per hash in milliseconds (default 250)' })
  parseTarget(v: string): number {
    const n = wholeNumber(v);
    if (!Number.isInteger(n) || n < 10 || n > 10_000)
      throw new Error('--target-ms must be an integer from 10 to 10000');
    return n;
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}
