import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Client } from 'pg';
import { SECRET_DEFINITIONS } from './secret-definitions';
import { SecretError, SecretStore } from './secret-store';

/** scrypt at 16 MiB: a database dump cannot cheaply test guesses of a weak configured pepper against a fingerprint. */
const COST = { N: 16_384, r: 8, p: 1 };
const STORED = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;
/** Arbitrary constant: the advisory lock under which instances starting at once record fingerprints one at a time. */
const FINGERPRINT_LOCK_KEY = 727_271_013;

export interface VersionedSecret {
  variable: string;
  version: string;
  material: Buffer;
}

/** Every version of every versioned secret the store holds (API_KEY_PEPPERS, ENCRYPTION_KEYS). */
export function versionedSecrets(secrets: SecretStore): VersionedSecret[] {
  return SECRET_DEFINITIONS.flatMap((d) => {
    const value = d.versions && secrets.get(d.name);
    return value ? d.versions!(value).map((v) => ({ variable: d.name, ...v })) : [];
  });
}

function derive(s: VersionedSecret, salt: Buffer, cost: typeof COST): Promise<Buffer> {
  // The variable and version are part of the salt: one fingerprint can never stand for another version's.
  const bound = Buffer.concat([salt, Buffer.from(`|${s.variable}|${s.version}`)]);
  return new Promise((resolve, reject) =>
    scrypt(s.material, bound, 32, { ...cost, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** A new keyed fingerprint: `scrypt$N=…,r=…,p=…$<salt>$<digest>` (base64url). */
export async function fingerprintOf(s: VersionedSecret, salt = randomBytes(16)): Promise<string> {
  const digest = await derive(s, salt, COST);
  return `scrypt$N=${COST.N},r=${COST.r},p=${COST.p}$${salt.toString('base64url')}$${digest.toString('base64url')}`;
}

/** Whether the material is the one a stored fingerprint was made from. */
export async function matchesFingerprint(s: VersionedSecret, stored: string): Promise<boolean> {
  const m = STORED.exec(stored);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const expected = Buffer.from(m[5], 'base64url');
  const actual = await derive(s, Buffer.from(m[4], 'base64url'), { N, r, p });
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Instances (and the CLI) sharing a database must share its secrets: a key hashed under one pepper is unknown to an
 * instance with another, and data sealed under one encryption key fails integrity on another. The first process to
 * use a version records a keyed fingerprint of it (`secret_fingerprints`); a process whose material differs for a
 * recorded version is refused with one line naming the variable and version. New versions are recorded as they
 * come; a version a process does not hold is not its concern (old versions are retired that way). Before the
 * table exists (a command run ahead of the first migration) there is nothing to compare with.
 */
export async function checkSecretFingerprints(appUrl: string, secrets: SecretStore): Promise<{ recorded: string[] }> {
  const held = versionedSecrets(secrets);
  if (!held.length) return { recorded: [] };
  const client = new Client({ connectionString: appUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [FINGERPRINT_LOCK_KEY]);
      const { rows } = await client.query<{
        variable: string;
        version: string;
        fingerprint: string;
        recorded_at: Date;
      }>(
        'SELECT variable, version, fingerprint, recorded_at FROM secret_fingerprints WHERE variable = ANY($1::text[])',
        [[...new Set(held.map((h) => h.variable))]],
      );
      const known = new Map(rows.map((r) => [`${r.variable}|${r.version}`, r]));
      const verdicts = await Promise.all(
        held.map(async (h) => {
          const row = known.get(`${h.variable}|${h.version}`);
          return { h, row, ok: row ? await matchesFingerprint(h, row.fingerprint) : true };
        }),
      );
      const bad = verdicts.find((v) => !v.ok);
      if (bad)
        throw new SecretError(
          `${bad.h.variable} version ${bad.h.version} differs from the one this database was first used with ` +
            `(recorded ${bad.row!.recorded_at.toISOString()}): every instance and the CLI on one database need the same ` +
            `${bad.h.variable}; refusing to start`,
        );
      const fresh = verdicts.filter((v) => !v.row).map((v) => v.h);
      for (const h of fresh)
        await client.query(
          'INSERT INTO secret_fingerprints (variable, version, fingerprint, recorded_at) VALUES ($1, $2, $3, now())',
          [h.variable, h.version, await fingerprintOf(h)],
        );
      await client.query('COMMIT');
      return { recorded: fresh.map((h) => `${h.variable} ${h.version}`) };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if ((err as { code?: string }).code === '42P01') return { recorded: [] }; // no table yet
      throw err;
    }
  } finally {
    await client.end();
  }
}
