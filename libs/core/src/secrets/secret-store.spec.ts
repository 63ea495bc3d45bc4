import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config';
import { SecretDefinition } from './secret-definitions';
import { SecretError, SecretStore } from './secret-store';

const defs: SecretDefinition[] = [
  { name: 'TEST_SECRET', description: 'x', generate: () => 'generated-value-1234567890' },
];

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'sb-secrets-'));
}

describe('SecretStore', () => {
  it('generates a missing secret once into DATA_DIR/secrets (0700 dir, 0600 file) and reuses it', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    const first = SecretStore.load(config, defs);
    expect(first.describe()).toEqual({ TEST_SECRET: 'generated' });
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'secrets', 'TEST_SECRET')).mode & 0o777).toBe(0o600);
    const second = SecretStore.load(config, [{ ...defs[0], generate: () => 'another' }]);
    expect(second.describe()).toEqual({ TEST_SECRET: 'stored' });
    expect(second.require('TEST_SECRET')).toBe(first.require('TEST_SECRET'));
  });

  it('refuses to generate in production', () => {
    const config = loadConfig({ DATA_DIR: dataDir(), NODE_ENV: 'production' });
    expect(() => SecretStore.load(config, defs)).toThrow(
      /Missing secrets in production: TEST_SECRET \(or TEST_SECRET_FILE\)/,
    );
  });

  it('reads NAME and NAME_FILE, and refuses both at once', () => {
    const dir = dataDir();
    const file = join(dir, 'secret.txt');
    writeFileSync(file, 'from-file\n', { mode: 0o600 });
    expect(SecretStore.load(loadConfig({ DATA_DIR: dir, TEST_SECRET: 'direct' }), defs).require('TEST_SECRET')).toBe(
      'direct',
    );
    expect(SecretStore.load(loadConfig({ DATA_DIR: dir, TEST_SECRET_FILE: file }), defs).require('TEST_SECRET')).toBe(
      'from-file',
    );
    expect(() =>
      SecretStore.load(loadConfig({ DATA_DIR: dir, TEST_SECRET: 'a', TEST_SECRET_FILE: file }), defs),
    ).toThrow(SecretError);
  });

  it('refuses a secret file readable by group or others, naming the file and its mode', () => {
    const dir = dataDir();
    const file = join(dir, 'secret.txt');
    writeFileSync(file, 'loose');
    chmodSync(file, 0o644);
    expect(() => SecretStore.load(loadConfig({ DATA_DIR: dir, TEST_SECRET_FILE: file }), defs)).toThrow(
      new RegExp(`${file}.*0644`),
    );
  });

  it('a loose secret file is refused in development too, as docs/security.md and docs/deployment.md say (issue 23 item 15)', () => {
    const dir = dataDir();
    const file = join(dir, 'secret.txt');
    writeFileSync(file, 'loose-but-long-enough');
    chmodSync(file, 0o640);
    for (const NODE_ENV of ['development', 'test', 'production'])
      expect(() => SecretStore.load(loadConfig({ DATA_DIR: dir, NODE_ENV, TEST_SECRET_FILE: file }), defs)).toThrow(
        /is accessible by group or others \(mode 0640\); run: chmod 600/,
      );
    // The docs say the same: no "warning in development" for secret files.
    const root = join(__dirname, '..', '..', '..', '..');
    const security = readFileSync(join(root, 'docs', 'security.md'), 'utf8');
    const deployment = readFileSync(join(root, 'docs', 'deployment.md'), 'utf8');
    expect(security.replace(/\s+/g, ' ')).toMatch(
      /A secret file .* is refused in every environment, development included/,
    );
    expect(security).not.toMatch(
      /every secret file is checked: readable by group or others, or owned by another user, is a warning/,
    );
    expect(deployment).not.toMatch(/refuses looser modes in production\)/);
  });

  it('never puts a value in its description', () => {
    const store = SecretStore.load(loadConfig({ DATA_DIR: dataDir(), TEST_SECRET: 'super-secret-value' }), defs);
    expect(JSON.stringify(store.describe())).not.toContain('super-secret-value');
    expect(readFileSync(__filename, 'utf8')).toContain('super-secret-value'); // sanity: the literal exists only here
  });
});
