import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envExample, GENERATED_DOCS } from '../../apps/api/src/config-docs';

const root = join(__dirname, '..', '..');

describe('README, docs and .env.example', () => {
  it.each(GENERATED_DOCS.map((d) => [d.file, d.update] as const))(
    '%s matches the code that generates its table (run `npm run docs:config` after changing it)',
    (file, update) => {
      const markdown = readFileSync(join(root, file), 'utf8');
      expect(update(markdown)).toBe(markdown);
    },
  );

  it('.env.example lists every variable of the config schema (run `npm run docs:config` after changing it)', () => {
    expect(readFileSync(join(root, '.env.example'), 'utf8')).toBe(envExample());
  });

  it('README gives exactly the two commands the CI runs', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    // The first section after the title and the paragraph: set-up, then exactly `npm start` and `npm test`.
    const sections = readme.split(/^## /m);
    expect(sections[1]).toMatch(/^Set-up and the two commands\n/);
    const block = /```sh\n([\s\S]*?)```/.exec(sections[1])?.[1] ?? '';
    const commands = block
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    // The install runs npm itself on the pinned Node (so engines are checked against it), as .ci/run does.
    expect(commands).toEqual([`npx -y -p node@${pkg.devDependencies.node} -- npm ci`, 'npm start', 'npm test']);
    const scripts = pkg.scripts;
    expect(scripts.start).toBeTruthy();
    expect(scripts.test).toBeTruthy();
    // CI installs, then runs README's test command itself (twice: embedded and system PostgreSQL), not a variant of it.
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
    const runs = ci
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.endsWith('npm test') && !line.startsWith('#') && !line.startsWith('step'));
    expect(runs).toEqual([
      'env -u DATABASE_URL npm test',
      'DATABASE_URL="postgres://postgres@127.0.0.1:5432/test" npm test',
    ]);
    expect(ci).not.toMatch(/npx jest|npm run test:/);
    expect(ci).toContain(`runtime=$(node -p "require('./package.json').devDependencies.node || ''")`);
    expect(ci).toContain('on_runtime() { npx -y -p "node@$runtime" -- "$@"; }');
    expect(ci).toMatch(/^if ! on_runtime npm ci --no-audit --no-fund/m);
  });
});
