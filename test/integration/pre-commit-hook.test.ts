import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/process';

/**
 * The pre-commit hook, as a developer meets it: a repository set up by `npm install` (the prepare script installs the
 * hook), then `git commit`. A staged secret must stop the commit; a staged file that Prettier would change is
 * committed formatted. The repository is a scratch one with this project's hook configuration and node_modules.
 */
const CONFIG_FILES = ['package.json', '.prettierrc.json', '.prettierignore', '.secretlintrc.json', '.secretlintignore'];

function run(cwd: string, cmd: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, SKIP_SIMPLE_GIT_HOOKS: '', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com' },
    timeout: 60_000,
  });
}

describe('pre-commit hook (installed by npm install)', () => {
  let repo: string;

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'sb-hook-'));
    for (const f of CONFIG_FILES) copyFileSync(join(ROOT, f), join(repo, f));
    symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'));
    writeFileSync(join(repo, '.gitignore'), 'node_modules\n');
    run(repo, 'git', ['init', '-q']);
    run(repo, 'git', ['config', 'user.email', 't@example.com']);
    run(repo, 'git', ['config', 'user.name', 't']);
    const prepare = run(repo, 'npm', ['run', '-s', 'prepare']);
    expect(prepare.status).toBe(0);
    expect(readFileSync(join(repo, '.git', 'hooks', 'pre-commit'), 'utf8')).toContain('lint-staged');
    run(repo, 'git', ['add', '.']);
    expect(run(repo, 'git', ['commit', '-q', '-m', 'config']).status).toBe(0);
  }, 90_000);

  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  const head = () => run(repo, 'git', ['rev-parse', 'HEAD']).stdout.trim();

  it('refuses a commit that stages a private key, and keeps it out of history', () => {
    const before = head();
    // Assembled at run time, so this file itself passes the scan it tests.
    const armour = (edge: string) => `-----${edge} RSA PRIVATE ${'KEY'}-----`;
    const pem = [armour('BEGIN'), 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQABAoIBAQCx', armour('END')].join('\n'); // prettier-ignore
    writeFileSync(join(repo, 'leak.txt'), `${pem}\n`);
    run(repo, 'git', ['add', 'leak.txt']);
    const commit = run(repo, 'git', ['commit', '-m', 'add a key']);
    expect(commit.status).not.toBe(0);
    expect(commit.stdout + commit.stderr).toMatch(/secretlint/);
    expect(head()).toBe(before);
    run(repo, 'git', ['rm', '-q', '--cached', 'leak.txt']);
    rmSync(join(repo, 'leak.txt'));
  }, 60_000);

  it('commits staged code formatted by Prettier', () => {
    writeFileSync(join(repo, 'ugly.ts'), 'export const   x = {a:1,   b:"two"}\n');
    run(repo, 'git', ['add', 'ugly.ts']);
    const commit = run(repo, 'git', ['commit', '-q', '-m', 'add code']);
    expect(commit.status).toBe(0);
    expect(run(repo, 'git', ['show', 'HEAD:ugly.ts']).stdout).toBe("export const x = { a: 1, b: 'two' };\n");
  }, 60_000);
});
