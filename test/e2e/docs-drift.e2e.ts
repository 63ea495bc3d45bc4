import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envExample, withConfigTable } from '../../apps/api/src/config-docs';

const root = join(__dirname, '..', '..');

describe('README and .env.example', () => {
  it('list every variable of the config schema (run `npm run docs:config` after changing it)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(withConfigTable(readme)).toBe(readme);
    expect(readFileSync(join(root, '.env.example'), 'utf8')).toBe(envExample());
  });

  it('README gives exactly the two commands the CI runs', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toMatch(/npm test\n/);
  });
});
