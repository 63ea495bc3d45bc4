import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@app/core';
import { CertificateFiles } from './certificate-files';

/** A real directory tree: an allowed directory holding symlinks to a directory outside it. */
describe('CertificateFiles: a symlink out of CERT_FILE_DIRS is no existence oracle (issue 23 item 6)', () => {
  const base = mkdtempSync(join(tmpdir(), 'sb-certfiles-'));
  const allowed = join(base, 'allowed');
  const outside = join(base, 'outside');
  mkdirSync(allowed);
  mkdirSync(join(outside, 'sub'), { recursive: true });
  writeFileSync(join(outside, 'exists.pem'), 'not a certificate');
  writeFileSync(join(allowed, 'inside.pem'), 'inside');
  symlinkSync(outside, join(allowed, 'out')); // a directory link
  symlinkSync(join(outside, 'missing.pem'), join(allowed, 'dangling-missing.pem'));
  symlinkSync(join(outside, 'nowhere', 'x.pem'), join(allowed, 'dangling-deep.pem'));
  const files = new CertificateFiles(loadConfig({ NODE_ENV: 'development', CERT_FILE_DIRS: allowed }));

  const answer = (path: string) =>
    files.resolveAllowed(path).then(
      () => 'accepted',
      (e: Error) => e.message,
    );
  const readAnswer = (path: string) =>
    files.read(path).then(
      () => 'read',
      (e: Error) => e.message,
    );
  const REFUSED = 'path is not inside a directory allowed by CERT_FILE_DIRS';

  it('refuses every path that leads outside, existing or not, through any symlink', async () => {
    for (const p of [
      join(allowed, 'out', 'exists.pem'),
      join(allowed, 'out', 'missing.pem'),
      join(allowed, 'out', 'sub'),
      join(allowed, 'out', 'sub', 'missing.pem'),
      join(allowed, 'out', 'nowhere', 'deeper', 'missing.pem'),
      join(allowed, 'dangling-missing.pem'),
      join(allowed, 'dangling-deep.pem'),
    ]) {
      expect(await answer(p)).toBe(REFUSED);
      expect(await readAnswer(p)).toBe(REFUSED);
    }
  });

  it('paths inside still work, and a missing file inside says so', async () => {
    expect(await answer(join(allowed, 'inside.pem'))).toBe('accepted');
    expect(await readAnswer(join(allowed, 'inside.pem'))).toBe('read');
    expect(await answer(join(allowed, 'later.pem'))).toBe('accepted');
    expect(await readAnswer(join(allowed, 'later.pem'))).toBe('file not found');
    expect(await answer(join(allowed, 'new-dir', 'later.pem'))).toBe('accepted');
  });
});
