import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/process';

interface Row {
  id: string;
  level: number;
  status: string;
  evidence: string;
}

const map = readFileSync(join(ROOT, 'docs', 'security', 'asvs.md'), 'utf8');
const rows: Row[] = map
  .split('\n')
  .filter((l) => /^\| \d+\.\d+\.\d+ \|/.test(l))
  .map((l) => {
    const cells = l.split(' | ').map((c) => c.replace(/^\| ?| ?\|$/g, '').trim());
    return { id: cells[0], level: Number(cells[1]), status: cells[3], evidence: cells[4] };
  });

/** docs/security/asvs.md: every test it names exists, every row has a known status, and the totals it states are right. */
describe('ASVS 5.0 map', () => {
  it('lists requirements with a status each, once', () => {
    expect(rows.length).toBeGreaterThan(100);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const r of rows) expect(['met', 'partial', 'not met', 'n/a']).toContain(r.status);
    for (const r of rows.filter((x) => x.status !== 'met')) expect(r.evidence.length).toBeGreaterThan(3); // a reason
  });

  it('every test named as evidence exists, in the file named', () => {
    const missing: string[] = [];
    for (const r of rows.filter((x) => x.status === 'met')) {
      const m = /^`([^`]+)` › (.+)$/.exec(r.evidence);
      if (!m) {
        missing.push(`${r.id}: evidence is not "\`file\` › test title"`);
        continue;
      }
      const [, file, title] = m;
      const path = join(ROOT, file);
      if (!existsSync(path)) missing.push(`${r.id}: ${file} does not exist`);
      else if (!readFileSync(path, 'utf8').includes(title.replace(/\\\|/g, '|')))
        missing.push(`${r.id}: no test "${title}" in ${file}`);
    }
    expect(missing).toEqual([]);
  });

  it('states the totals it holds', () => {
    const count = (level: number) => {
      const applicable = rows.filter((r) => r.level === level && r.status !== 'n/a');
      return { met: applicable.filter((r) => r.status === 'met').length, applicable: applicable.length };
    };
    const l1 = count(1);
    const l2 = count(2);
    process.stdout.write(
      `ASVS 5.0: L1 met ${l1.met} of ${l1.applicable} applicable; L2 met ${l2.met} of ${l2.applicable} applicable\n`,
    );
    expect(map).toContain(
      `Totals: L1 met ${l1.met} of ${l1.applicable} applicable; L2 met ${l2.met} of ${l2.applicable} applicable.`,
    );
  });
});
