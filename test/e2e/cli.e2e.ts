import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditService } from '@app/audit';
import { issue, pki } from '../support/certs';
import { waitFor } from '../support/ports';
import { adminQuery } from '../support/database';
import { createKey, userWithScopes } from '../support/key-helpers';
import { startTestApp, TestApp } from '../support/app';
import { assertBuilt, cleanEnv, CLI_MAIN, spawnNode } from '../support/process';

/** Every command of the admin CLI (nest-commander), and the schema commands handled before it. */
const COMMANDS = [
  'audit:verify',
  'auth:calibrate',
  'keys:report',
  'crypto:rewrap',
  'crypto:retire',
  'crypto:status',
  'users:create-admin',
  'users:disable',
  'users:grant',
  'users:revoke-scope',
  'users:import',
  'users:list',
  'users:show',
  'users:enable',
  'users:unlock',
  'users:force-password-reset',
  'users:end-everything',
  'users:change-email',
  'certs:dev',
  'certs:check',
  'jobs:run',
  'keys:issue',
  'keys:list',
  'keys:revoke',
  'keys:rotate',
  'crypto:add-key',
];
const MIGRATION_COMMANDS = ['migration:run', 'migration:revert', 'migration:generate'];

describe('cli audit:verify', () => {
  let t: TestApp;
  const env = () =>
    cleanEnv({ DATABASE_URL: t.db.appUrl, MIGRATIONS_DATABASE_URL: t.db.ownerUrl, DATA_DIR: t.dataDir });

  beforeAll(async () => {
    assertBuilt();
    t = await startTestApp();
    const audit = t.app.get(AuditService);
    for (let i = 0; i < 5; i++) await audit.record({ action: 'test.cli', outcome: 'success', details: { i } });
  });
  afterAll(() => t?.stop());

  it('reports an intact chain', async () => {
    const proc = spawnNode(CLI_MAIN, ['audit:verify'], env());
    expect(await proc.closed).toBe(0);
    expect(proc.output()).toContain('audit chain OK: 5 events verified');
  });

  it('names the first altered row and exits non-zero', async () => {
    const [row] = await adminQuery<{ id: string }>(t.db, 'SELECT id FROM audit_events ORDER BY id OFFSET 2 LIMIT 1');
    await adminQuery(t.db, `UPDATE audit_events SET details = '{"i": 99}' WHERE id = $1`, [row.id]);
    const proc = spawnNode(CLI_MAIN, ['audit:verify', '--json'], env());
    expect(await proc.closed).toBe(2);
    expect(await proc.json()).toMatchObject({ ok: false, firstBadId: row.id, checked: 2 });
  });

  it('fails with one clear line on a bad configuration', async () => {
    const proc = spawnNode(CLI_MAIN, ['audit:verify'], cleanEnv({ DATABASE_URL: 'mysql://nope' }));
    expect(await proc.closed).toBe(1);
    expect(proc.output().trim().split('\n')).toHaveLength(1);
    expect(proc.output()).toMatch(/^error: Invalid configuration: DATABASE_URL \("mysql:\/\/nope"\): /);
  });

  it('users:create-admin reads the password from stdin; the admin can log in with admin:all', async () => {
    const proc = spawnNode(
      CLI_MAIN,
      ['users:create-admin', '--email', 'Ops@Example.com', '--username', 'ops', '--json'],
      env(),
    );
    proc.child.stdin!.end('orbit velvet cactus lantern\n');
    expect(await proc.closed).toBe(0);
    expect(await proc.json()).toMatchObject({
      email: 'ops@example.com',
      role: 'admin',
      scopes: expect.arrayContaining(['admin:all']),
    });
    const login = await t.request('/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ops@example.com', password: 'orbit velvet cactus lantern' }),
    });
    expect(login.status).toBe(200);
  });

  it("users:grant and users:revoke-scope change a user's scopes", async () => {
    const grant = spawnNode(
      CLI_MAIN,
      ['users:grant', '--email', 'ops@example.com', '--scope', 'keys:verify', '--json'],
      env(),
    );
    expect(await grant.closed).toBe(0);
    expect((await grant.json()).scopes).toContain('keys:verify');
    const revoke = spawnNode(
      CLI_MAIN,
      ['users:revoke-scope', '--email', 'ops@example.com', '--scope', 'keys:verify', '--json'],
      env(),
    );
    expect(await revoke.closed).toBe(0);
    expect((await revoke.json()).scopes).not.toContain('keys:verify');
    const unknown = spawnNode(
      CLI_MAIN,
      ['users:grant', '--email', 'nobody@example.com', '--scope', 'keys:verify'],
      env(),
    );
    expect(await unknown.closed).toBe(1);
    expect(unknown.output().trim()).toBe('error: No user with email nobody@example.com');
  });

  it('keys:report lists keys by hygiene problem', async () => {
    const admin = await userWithScopes(t, ['admin:all']);
    const key = await createKey(t, admin.token, { scopes: ['admin:all'], expiresInDays: 2 });
    const proc = spawnNode(CLI_MAIN, ['keys:report', '--json'], env());
    expect(await proc.closed).toBe(0);
    const report = (await proc.json()) as { holdingAdminAll: { id: string }[]; expiringWithin7Days: { id: string }[] };
    expect(report.holdingAdminAll.map((k) => k.id)).toContain(key.id);
    expect(report.expiringWithin7Days.map((k) => k.id)).toContain(key.id);
    const text = spawnNode(CLI_MAIN, ['keys:report'], env());
    expect(await text.closed).toBe(0);
    expect(text.output()).toContain(`holding admin:all: 1`);
    expect(text.output()).toContain(key.prefix);
    expect(text.output()).not.toContain(key.key);
  });

  it('users:create-admin refuses a weak password with one line holding the strength and suggestions', async () => {
    const proc = spawnNode(
      CLI_MAIN,
      ['users:create-admin', '--email', 'weak@example.com', '--username', 'weakling'],
      env(),
    );
    proc.child.stdin!.end('password\n');
    expect(await proc.closed).toBe(1);
    expect(proc.output()).toMatch(
      /^error: Choose a stronger password\. Strength [0-4] of 4\. .*Use at least 12 characters/m,
    );
    expect(
      proc
        .output()
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error:')),
    ).toHaveLength(1);
  });

  it('users:import takes bcrypt hashes from JSON lines', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const bcrypt = (await import('bcryptjs')).default;
    const file = join(mkdtempSync(join(tmpdir(), 'sb-import-')), 'users.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({
          email: 'legacy1@example.com',
          username: 'legacy1',
          passwordHash: bcrypt.hashSync('orbit velvet cactus lantern', 4),
        }),
        JSON.stringify({ email: 'legacy1@example.com', username: 'legacy1b', passwordHash: bcrypt.hashSync('x', 4) }),
      ].join('\n'),
    );
    const proc = spawnNode(CLI_MAIN, ['users:import', '--file', file], env());
    expect(await proc.closed).toBe(0);
    expect(proc.output()).toContain('imported 1, skipped 1');
  });

  it('auth:calibrate never recommends below the OWASP parameters', async () => {
    const proc = spawnNode(CLI_MAIN, ['auth:calibrate', '--target-ms', '10', '--json'], env());
    expect(await proc.closed).toBe(0);
    const result = await proc.json();
    expect(result.recommended).toMatchObject({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  it('--help lists every command and exits 0 without a database', async () => {
    const proc = spawnNode(CLI_MAIN, ['--help'], cleanEnv({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }));
    expect(await proc.closed).toBe(0);
    expect(proc.output()).toMatch(/^Usage: npm run cli -- \[options\] \[command\]/);
    for (const c of [...COMMANDS, ...MIGRATION_COMMANDS]) {
      expect(proc.output()).toContain(c);
    }
  });

  it('migration commands answer --help with their usage and change nothing; stray arguments are refused', async () => {
    const count = async () => (await adminQuery<{ n: number }>(t.db, 'SELECT count(*)::int AS n FROM migrations'))[0].n;
    const before = await count();
    for (const c of MIGRATION_COMMANDS) {
      const proc = spawnNode(CLI_MAIN, [c, '--help'], env());
      expect(await proc.closed).toBe(0);
      expect(proc.output()).toMatch(new RegExp(`^Usage: npm run cli -- ${c}`));
    }
    const stray = spawnNode(CLI_MAIN, ['migration:revert', '--force'], env());
    expect(await stray.closed).toBe(1);
    expect(stray.output()).toBe('error: migration:revert takes no arguments (got --force)\n');
    expect(await count()).toBe(before);
  });

  it('refuses malformed numbers with one line instead of running with a default', async () => {
    const days = spawnNode(
      CLI_MAIN,
      ['keys:issue', '--email', 'ops@example.com', '--scopes', 'profiles:read', '--expires-in-days', 'abc'],
      env(),
    );
    expect(await days.closed).toBe(1);
    expect(days.output()).toMatch(/^error: .*expiresInDays must be an integer number\n$/);
    const zero = spawnNode(
      CLI_MAIN,
      ['keys:issue', '--email', 'ops@example.com', '--scopes', 'profiles:read', '--expires-in-days', '0'],
      env(),
    );
    expect(await zero.closed).toBe(1);
    expect(zero.output()).toBe('error: expiresInDays must not be less than 1\n');
    const version = spawnNode(CLI_MAIN, ['crypto:retire', '--version', 'abc'], env());
    expect(await version.closed).toBe(1);
    expect(version.output()).toBe('error: --version must be a key version number (see crypto:status)\n');
    expect(
      (
        await adminQuery<{ n: number }>(
          t.db,
          "SELECT count(*)::int AS n FROM api_keys WHERE name = 'issued by the admin CLI'",
        )
      )[0].n,
    ).toBe(0);
  });

  it('every command answers --help with its options and exits 0', async () => {
    const commands = COMMANDS;
    const env = cleanEnv({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    const answers = [];
    // One at a time: 19 CLI processes at once would starve timing-sensitive tests running beside this file.
    for (const c of commands) {
      const proc = spawnNode(CLI_MAIN, [c, '--help'], env);
      const code = await proc.closed;
      answers.push({
        c,
        code,
        usage: new RegExp(`^Usage: npm run cli -- ${c} `).test(proc.output()),
        help: proc.output().includes('-h, --help'),
        json: proc.output().includes('--json'),
      });
    }
    expect(answers).toEqual(commands.map((c) => ({ c, code: 0, usage: true, help: true, json: true })));
  }, 120_000);

  it('crypto:status prints tables by default and one JSON document with --json', async () => {
    const human = spawnNode(CLI_MAIN, ['crypto:status'], env());
    expect(await human.closed).toBe(0);
    expect(human.output()).toMatch(/^current key v1; versions from v1 decrypt/m);
    expect(human.output()).toMatch(/version\s+encrypts\s+decrypts\s+encryptions\s+of GCM limit/);
    expect(human.output()).toMatch(/^v1\s+yes\s+yes\s+\d+/m);
    expect(human.output()).toMatch(/^rewrap: idle/m);
    const json = spawnNode(CLI_MAIN, ['crypto:status', '--json'], env());
    expect(await json.closed).toBe(0);
    expect(await json.json()).toMatchObject({
      current: 1,
      minDecryptionVersion: 1,
      versions: [{ version: 1, encrypts: true, decrypts: true }],
    });
  });

  it('certs:dev makes a dev CA and a localhost leaf (keys 0600, dir 0700) without a database; a second run keeps them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-certs-dev-'));
    const first = spawnNode(
      CLI_MAIN,
      ['certs:dev', '--json'],
      cleanEnv({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
    );
    expect(await first.closed).toBe(0);
    const made = (await first.json()) as {
      createdCa: boolean;
      createdLeaf: boolean;
      leafFingerprint: string;
      paths: Record<string, string>;
    };
    expect(made).toMatchObject({ createdCa: true, createdLeaf: true });
    expect(statSync(made.paths.dir).mode & 0o777).toBe(0o700);
    expect(statSync(made.paths.key).mode & 0o777).toBe(0o600);
    expect(statSync(made.paths.caKey).mode & 0o777).toBe(0o600);
    const leaf = new X509Certificate(readFileSync(made.paths.cert));
    const ca = new X509Certificate(readFileSync(made.paths.caCert));
    expect(leaf.verify(ca.publicKey) && leaf.checkHost('localhost') && leaf.checkIP('127.0.0.1')).toBeTruthy();
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const again = spawnNode(
      CLI_MAIN,
      ['certs:dev', '--json'],
      cleanEnv({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
    );
    expect(await again.closed).toBe(0);
    expect(await again.json()).toMatchObject({
      createdCa: false,
      createdLeaf: false,
      leafFingerprint: made.leafFingerprint,
    });
  });

  it('certs:check checks every certificate and prints a table; jobs:run records the run in job_runs', async () => {
    const { token } = await userWithScopes(t, ['certificates:write']);
    const { intermediate } = await pki();
    const leaf = await issue(intermediate, {
      cn: 'cli.example.test',
      dns: ['cli.example.test'],
      notAfter: new Date(Date.now() + 20 * 86_400_000),
    });
    const res = await t.request('/v1/certificates', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pem: leaf.pem + intermediate.pem }),
    });
    expect(res.status).toBe(201);
    const table = spawnNode(CLI_MAIN, ['certs:check'], env());
    expect(await table.closed).toBe(0);
    expect(table.output()).toMatch(/status\s+daysLeft\s+source\s+subject\s+reason/);
    expect(table.output()).toMatch(/CRITICAL\s+19\s+pem\s+CN=cli\.example\.test\s+chain: incomplete/);
    const job = spawnNode(CLI_MAIN, ['jobs:run', 'certificate-check', '--json'], env());
    expect(await job.closed).toBe(0);
    expect(await job.json()).toMatchObject({ status: 'ran', outcome: 'success', counts: { checked: 1, critical: 1 } });
    const runs = await adminQuery<{ outcome: string }>(
      t.db,
      `SELECT outcome FROM job_runs WHERE job = 'certificate-check' AND period LIKE 'manual:%'`,
    );
    expect(runs.map((r) => r.outcome)).toEqual(['success', 'success']);
    const list = spawnNode(CLI_MAIN, ['jobs:run', '--list'], env());
    expect(await list.closed).toBe(0);
    expect(list.output()).toMatch(/job\s+schedule\s+last run\s+by\s+outcome\s+counts/);
    expect(list.output()).toMatch(
      /certificate-check\s+cron 0 3 \* \* \* \(UTC\)\s+\d{4}-\d\d-\d\dT[\d:]{8}\s+\S+\s+success\s+.*\bchecked=1\b.*\bcritical=1\b/,
    );
    expect(list.output()).toMatch(/sessions\.purge\s+every \d+ ms\s+never/);
    const unknown = spawnNode(CLI_MAIN, ['jobs:run', 'nope'], env());
    expect(await unknown.closed).toBe(1);
    expect(unknown.output()).toContain('unknown job "nope"');
  });

  it('keys:issue prints a working key once; keys:list shows it; keys:revoke stops it at once', async () => {
    const owner = await userWithScopes(t, ['certificates:read']);
    const [row] = await adminQuery<{ email: string }>(t.db, 'SELECT email FROM users WHERE id = $1', [owner.userId]);
    const issue = spawnNode(
      CLI_MAIN,
      [
        'keys:issue',
        '--email',
        row.email,
        '--name',
        'ci deploy',
        '--scopes',
        'certificates:read',
        '--expires-in-days',
        '30',
        '--json',
      ],
      env(),
    );
    expect(await issue.closed).toBe(0);
    const issued = (await issue.json()) as { id: string; key: string; scopes: string[] };
    expect(issued.scopes).toEqual(['certificates:read']);
    expect((await t.request('/v1/certificates', { headers: { authorization: `Bearer ${issued.key}` } })).status).toBe(
      200,
    );
    // The owner is told, naming who issued it (the operator), never the secret.
    const [notice] = await adminQuery<{ body: string }>(
      t.db,
      `SELECT body FROM outbox_messages WHERE kind = 'api_key.created' AND recipient = $1`,
      [row.email],
    );
    expect(notice.body).toContain('"ci deploy"');
    expect(notice.body).toContain('by an operator with the admin command line');
    expect(notice.body).not.toContain(issued.key);

    const tooMuch = spawnNode(CLI_MAIN, ['keys:issue', '--email', row.email, '--scopes', 'admin:all'], env());
    expect(await tooMuch.closed).toBe(1);
    expect(tooMuch.output()).toMatch(/^error: .*admin:all/m);

    const list = spawnNode(CLI_MAIN, ['keys:list', '--email', row.email], env());
    expect(await list.closed).toBe(0);
    expect(list.output()).toMatch(
      new RegExp(`${issued.id}\\s+sk_live_\\S+\\s+active\\s+\\S+\\s+\\S+\\s+ci deploy\\s+certificates:read`),
    );

    const revoke = spawnNode(CLI_MAIN, ['keys:revoke', issued.id], env());
    expect(await revoke.closed).toBe(0);
    expect(revoke.output()).toMatch(/^revoked sk_live_/);
    await waitFor(
      async () =>
        (await t.request('/v1/certificates', { headers: { authorization: `Bearer ${issued.key}` } })).status === 401
          ? true
          : undefined,
      3000,
      50,
    );
    const bad = spawnNode(CLI_MAIN, ['keys:revoke', 'not-a-uuid'], env());
    expect(await bad.closed).toBe(1);
    expect(bad.output()).toContain('must be a UUID');
  });

  it('keys:rotate prints the successor once; the old key works through the grace period; bad input is one line', async () => {
    const owner = await userWithScopes(t, ['certificates:read']);
    const old = await createKey(t, owner.token, { name: 'rotated by the CLI', scopes: ['certificates:read'] });
    const bad = spawnNode(CLI_MAIN, ['keys:rotate', old.id, '--grace-hours', '100'], env());
    expect(await bad.closed).toBe(1);
    expect(bad.output()).toBe('error: gracePeriodHours must not be greater than 72\n');
    // An empty or non-decimal value is not 0 (which would end the old key at once).
    for (const value of ['', '0x10', '1e1']) {
      const odd = spawnNode(CLI_MAIN, ['keys:rotate', old.id.toUpperCase(), '--grace-hours', value], env());
      expect(await odd.closed).toBe(1);
      expect(odd.output()).toBe(
        'error: gracePeriodHours must not be greater than 72; gracePeriodHours must not be less than 0; gracePeriodHours must be an integer number\n',
      );
    }
    const proc = spawnNode(CLI_MAIN, ['keys:rotate', old.id, '--grace-hours', '1', '--json'], env());
    expect(await proc.closed).toBe(0);
    const rotated = (await proc.json()) as {
      id: string;
      key: string;
      previous: { id: string; status: string; graceEndsAt: string };
    };
    expect(rotated.previous).toMatchObject({ id: old.id, status: 'rotating' });
    expect(Date.parse(rotated.previous.graceEndsAt) - Date.now()).toBeGreaterThan(3_500_000);
    for (const key of [rotated.key, old.key]) {
      expect((await t.request('/v1/certificates', { headers: { 'x-api-key': key } })).status).toBe(200);
    }
    const human = spawnNode(CLI_MAIN, ['keys:rotate', rotated.id, '--grace-hours', '0'], env());
    expect(await human.closed).toBe(0);
    expect(human.output()).toMatch(
      /^sk_live_\S+\n {2}id \S+ {2}replaces sk_live_\S+, which works until now \(revoked\)\n/,
    );
    await waitFor(
      async () =>
        (await t.request('/v1/certificates', { headers: { 'x-api-key': rotated.key } })).status === 401
          ? true
          : undefined,
      3000,
      50,
    );
  });

  it('crypto:add-key writes a new newest version into the key file, keeping the older ones (file stays 0600)', async () => {
    const file = join(t.dataDir, 'secrets', 'ENCRYPTION_KEYS');
    const before = readFileSync(file, 'utf8').trim();
    const proc = spawnNode(CLI_MAIN, ['crypto:add-key', '--json'], env());
    expect(await proc.closed).toBe(0);
    expect(await proc.json()).toMatchObject({ version: 2, file, versions: [1, 2] });
    const after = readFileSync(file, 'utf8').trim();
    expect(after).toMatch(/^v2:[A-Za-z0-9+/]{43}=,/);
    expect(after.endsWith(before)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
