import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config';
import { fingerprintOf, matchesFingerprint, versionedSecrets } from './secret-fingerprints';
import { SecretStore } from './secret-store';

const KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

describe('secret fingerprints', () => {
  const store = (env: Record<string, string>) =>
    SecretStore.load(loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-fp-unit-')), ...env }), undefined, {
      embeddedDatabase: false,
    });

  it('lists every version of the versioned secrets, named as their modules read them', () => {
    const held = versionedSecrets(
      store({
        API_KEY_PEPPERS: '02:second-pepper-0123456789, 1:first-pepper-0123456789',
        ENCRYPTION_KEYS: `v01:${KEY}`,
      }),
    );
    expect(held.map((h) => `${h.variable} ${h.version}`)).toEqual([
      'API_KEY_PEPPERS 2',
      'API_KEY_PEPPERS 1',
      'ENCRYPTION_KEYS v1',
    ]);
    expect(held[2].material).toHaveLength(32);
  });

  it('a fingerprint matches its material only, and only for its variable and version', async () => {
    const one = { variable: 'API_KEY_PEPPERS', version: '1', material: Buffer.from('first-pepper-0123456789') };
    const fp = await fingerprintOf(one);
    expect(fp).not.toContain('first-pepper');
    expect(await matchesFingerprint(one, fp)).toBe(true);
    expect(await matchesFingerprint({ ...one, material: Buffer.from('other-pepper-0123456789') }, fp)).toBe(false);
    expect(await matchesFingerprint({ ...one, version: '2' }, fp)).toBe(false);
    expect(await matchesFingerprint({ ...one, variable: 'ENCRYPTION_KEYS' }, fp)).toBe(false);
    expect(await matchesFingerprint(one, 'garbage')).toBe(false);
    expect(await fingerprintOf(one)).not.toBe(fp); // a random salt each time
  });
});
