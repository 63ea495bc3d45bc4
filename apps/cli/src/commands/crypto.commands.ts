import { KeyringAdminService, RewrapService, RewrapState } from '@app/encryption';
import { Command, CommandRunner, Option } from 'nest-commander';
import { wholeNumber } from '../flags';
import { print, progressBar, table } from '../output';

function bar(s: RewrapState): string {
  return `${progressBar(s.rewrapped, s.rewrapped + (s.remaining ?? 0))} rewrapped to v${s.targetVersion}`;
}

@Command({
  name: 'crypto:rewrap',
  description: 'Re-encrypt every ciphertext under older key versions with the current one (batches; resumable)',
})
export class CryptoRewrapCommand extends CommandRunner {
  constructor(private readonly rewrap: RewrapService) {
    super();
  }

  async run(_: string[], o: { json?: boolean; batch?: number }): Promise<void> {
    const tty = process.stderr.isTTY;
    const result = await this.rewrap.run(o.batch ?? 200, (s) => {
      if (!o.json) process.stderr.write(tty ? `\r${bar(s)}` : `${bar(s)}\n`);
    });
    if (!o.json && tty) process.stderr.write('\n');
    if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else
      process.stdout.write(
        `rewrap ${result.state}: ${result.rewrapped} rewrapped, ${result.remaining ?? '?'} left under older versions\n`,
      );
    if (result.state !== 'done') process.exitCode = 1;
  }

  @Option({ flags: '--batch <n>', description: 'rows per transaction (default 200)' })
  parseBatch(v: string): number {
    const n = wholeNumber(v);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error('--batch must be 1–10000');
    return n;
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'crypto:retire',
  description: 'Retire key versions up to --version (refused while ciphertexts still use them)',
})
export class CryptoRetireCommand extends CommandRunner {
  constructor(private readonly admin: KeyringAdminService) {
    super();
  }

  async run(_: string[], o: { version?: number; json?: boolean }): Promise<void> {
    if (o.version === undefined) throw new Error('--version is required');
    if (!Number.isInteger(o.version) || o.version < 1)
      throw new Error('--version must be a key version number (see crypto:status)');
    const result = await this.admin.retire(undefined, o.version);
    process.stdout.write(
      o.json
        ? `${JSON.stringify(result)}\n`
        : `retired through v${o.version}; versions from v${result.minDecryptionVersion} decrypt\n`,
    );
  }

  @Option({ flags: '--version <n>', description: 'the newest version to retire' })
  parseVersion(v: string): number {
    return wholeNumber(v);
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}

@Command({ name: 'crypto:status', description: 'Key versions, encryptions and ciphertexts per version, rewrap state' })
export class CryptoStatusCommand extends CommandRunner {
  constructor(private readonly admin: KeyringAdminService) {
    super();
  }

  async run(_: string[], o: { json?: boolean }): Promise<void> {
    const s = await this.admin.status();
    print(o.json, s, () => {
      const versions = table(
        ['version', 'encrypts', 'decrypts', 'encryptions', 'of GCM limit'],
        s.versions.map((v) => [
          `v${v.version}`,
          v.encrypts ? 'yes' : 'no',
          v.decrypts ? 'yes' : 'retired',
          String(v.encryptions),
          `${(v.shareOfGcmLimit * 100).toFixed(6)}%`,
        ]),
      );
      const stores = Object.entries(s.ciphertexts).map(([store, byVersion]) => [
        store,
        Object.entries(byVersion)
          .map(([v, n]) => `${v}: ${n}`)
          .join(', ') || 'none',
      ]);
      const r = s.rewrap;
      return [
        `current key v${s.current}; versions from v${s.minDecryptionVersion} decrypt; warning at ${s.warnAtEncryptions} encryptions per version`,
        '',
        versions,
        '',
        table(['store', 'ciphertexts by key version'], stores, 100),
        '',
        `rewrap: ${r.state}${r.targetVersion ? ` to v${r.targetVersion}` : ''}, ${r.rewrapped} rewrapped, ${r.remaining ?? '?'} left${r.finishedAt ? `, finished ${r.finishedAt}` : ''}`,
      ].join('\n');
    });
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'crypto:add-key',
  description:
    'Add a new encryption key version to the ENCRYPTION_KEYS file (newest first); restart instances, then crypto:rewrap',
})
export class CryptoAddKeyCommand extends CommandRunner {
  constructor(private readonly admin: KeyringAdminService) {
    super();
  }

  async run(_: string[], o: { json?: boolean }): Promise<void> {
    const r = await this.admin.addKeyVersion();
    process.stdout.write(
      o.json
        ? `${JSON.stringify(r)}\n`
        : `added v${r.version} to ${r.file} (versions ${r.versions.map((v) => `v${v}`).join(', ')})\nnext: restart every instance (they encrypt with v${r.version} from then on), then run crypto:rewrap\n`,
    );
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}
