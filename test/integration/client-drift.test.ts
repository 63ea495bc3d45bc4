import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'packages/client/src');

/**
 * The typed client's generated files are what its generator makes of the committed openapi.json, byte for byte (as
 * openapi.json is what the app makes of its routes): change a route or DTO, run `npm run openapi` and then
 * `npm run client:generate`, or this fails.
 */
describe('the typed client matches the OpenAPI document', () => {
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'client-drift-'));
    execFileSync(process.execPath, [join(ROOT, 'packages/client/scripts/generate.cjs'), out], { stdio: 'pipe' });
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each(['schema.ts', 'error-codes.ts'])('packages/client/src/%s is up to date', (file) => {
    const committed = readFileSync(join(SRC, file), 'utf8');
    const generated = readFileSync(join(out, file), 'utf8');
    expect(committed === generated ? 'up to date' : 'stale: run npm run client:generate').toBe('up to date');
  });

  it('types UpdateProfileDto’s fields as strings, and every operation of the document is in the client', () => {
    const schema = readFileSync(join(SRC, 'schema.ts'), 'utf8');
    const profile = /UpdateProfileDto: \{([\s\S]*?)\n {8}\};/.exec(schema)![1];
    for (const field of ['displayName', 'phone', 'address', 'dateOfBirth', 'ssn', 'cardNumber'])
      expect(profile).toMatch(new RegExp(`\\b${field}\\?: string \\| null;`));
    const document = JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as { paths: Record<string, object> };
    for (const path of Object.keys(document.paths)) expect(schema).toContain(`"${path}": {`);
  });
});
