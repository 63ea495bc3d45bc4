// Profiles: GET with every sensitive field decrypted (and its integrity MAC checked) against an authenticated
// trivial GET (`GET /v1/me`: one indexed read, like the profile's), alternating rounds in one run; then the rewrap
// rate after adding a key version (profiles per second, through the service's own job).
// Usage: node bench/profiles.mjs [--smoke]   (`npm run bench:profiles` builds first)
import autocannon from 'autocannon';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { adminClient, median, pinSelf, ROOT, startService, verifyEmail } from './lib.mjs';

const require = createRequire(import.meta.url);
pinSelf(0);
const smoke = process.argv.includes('--smoke');
const seconds = smoke ? 2 : 8;
const rounds = smoke ? 1 : 3;
const profilesToRewrap = smoke ? 2000 : 20000;
const connections = 16;

const json = async (res) => {
  const body = await res.json();
  if (res.status >= 300) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
};
const post = (url, body, headers = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function run(url, headers, status) {
  const r = await autocannon({ url, headers, connections, duration: seconds });
  const wrong = Object.keys(r.statusCodeStats ?? {}).filter((c) => Number(c) !== status);
  if (wrong.length || r.errors) throw new Error(`${url}: ${JSON.stringify(r.statusCodeStats)} errors=${r.errors}`);
  return { perSecond: r.requests.average, p99: r.latency.p99 };
}

const env = {
  MAIL_DELIVERY_INTERVAL_MS: '0',
  API_KEY_JOBS_INTERVAL_MS: '0',
  IP_FAILURE_THRESHOLD: '10000',
  UV_THREADPOOL_SIZE: '4',
};
let service = await startService(env, 1, { keepData: true });
const dataDir = service.dataDir;
const rows = [];
try {
  const user = {
    email: 'bench-profile@example.com',
    username: 'bench_profile',
    password: 'orbit velvet cactus lantern',
  };
  await post(`${service.url}/v1/auth/register`, user);
  await verifyEmail(service, user.email);
  const { token } = await json(
    await post(`${service.url}/v1/auth/login`, { email: user.email, password: user.password }),
  );
  const auth = { authorization: `Bearer ${token}` };
  await json(
    await fetch(`${service.url}/v1/profiles/me`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({
        displayName: 'Ada Lovelace',
        phone: '+44 20 7946 0958',
        address: '12 St James Square, London',
        dateOfBirth: '1815-12-10',
        ssn: '123-45-6789',
        cardNumber: '4242 4242 4242 4242',
        medicalInfo: { allergies: ['penicillin'], notes: 'bench' },
      }),
    }),
  );
  const key = await json(
    await post(
      `${service.url}/v1/api-keys`,
      { name: 'bench', scopes: ['profiles:read', 'profiles:read_sensitive'] },
      auth,
    ),
  );
  const withKey = { authorization: `Bearer ${key.key}` };
  const scenarios = {
    A: { name: 'authenticated trivial GET /v1/me', url: `${service.url}/v1/me`, status: 200 },
    B: {
      name: 'GET /v1/profiles/me?reveal=true (3 fields decrypted, MAC checked)',
      url: `${service.url}/v1/profiles/me?reveal=true`,
      status: 200,
    },
    C: { name: 'GET /v1/profiles/me (masked, MAC checked)', url: `${service.url}/v1/profiles/me`, status: 200 },
  };
  for (const s of Object.values(scenarios))
    await autocannon({ url: s.url, headers: withKey, connections, duration: smoke ? 1 : 3 });
  const results = Object.fromEntries(Object.keys(scenarios).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [id, s] of Object.entries(scenarios)) {
      const out = await run(s.url, withKey, s.status);
      results[id].push(out.perSecond);
      process.stdout.write(`  round ${r + 1} ${id} ${s.name}: ${out.perSecond.toFixed(0)}/s p99 ${out.p99} ms\n`);
    }
  }
  const base = median(results.A);
  for (const [id, s] of Object.entries(scenarios))
    rows.push({ id, scenario: s.name, perSecond: median(results[id]), ratio: median(results[id]) / base });

  // Rewrap: bulk profiles sealed with the product's own codec under v1, then v2 is added and the job runs.
  const admin = adminClient(dataDir);
  await admin.connect();
  const keysV1 = readFileSync(join(dataDir, 'secrets', 'ENCRYPTION_KEYS'), 'utf8').trim();
  // The product's own built modules (fixed paths under the repository), so rows are sealed exactly as the service does.
  // eslint-disable-next-line security/detect-non-literal-require
  const { Keyring, CryptoService, SystemRandomSource, NoopEncryptionCounter } = require(
    join(ROOT, 'dist/libs/crypto/src/index.js'),
  );
  // eslint-disable-next-line security/detect-non-literal-require
  const { ProfileCodec } = require(join(ROOT, 'dist/libs/profiles/src/profile-codec.js'));
  const keyring = Keyring.parse(keysV1);
  const codec = new ProfileCodec(
    new CryptoService(keyring, new SystemRandomSource(), new NoopEncryptionCounter()),
    keyring,
  );
  const tag = randomBytes(3).toString('hex');
  await admin.query(
    `INSERT INTO users (email, username, password_hash, scopes, password_changed_at) SELECT 'bulk' || i || '.${tag}@example.com', 'bulk_${tag}_' || i, 'x', '{}', now() FROM generate_series(1, $1::int) i`,
    [profilesToRewrap],
  );
  const ids = (await admin.query(`SELECT id FROM users WHERE email LIKE 'bulk%.${tag}@example.com'`)).rows.map(
    (r) => r.id,
  );
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000).map((userId, j) => {
      const row = { userId, displayName: 'Bulk', phone: null, address: null, dateOfBirth: null };
      codec.seal(row, {
        ssn: `${String(100 + ((i + j) % 800))}12${String(1000 + ((i + j) % 9000))}`,
        cardNumber: '4242424242424242',
        medicalInfo: { note: 'bulk' },
      });
      return {
        user_id: userId,
        display_name: 'Bulk',
        ssn_ct: row.ssnCiphertext,
        ssn_last4: row.ssnLast4,
        ssn_blind_index: row.ssnBlindIndex,
        card_ct: row.cardCiphertext,
        card_last4: row.cardLast4,
        medical_ct: row.medicalCiphertext,
        key_version: row.keyVersion,
        integrity_mac: row.integrityMac,
        updated_at: new Date().toISOString(),
      };
    });
    await admin.query('INSERT INTO profiles SELECT * FROM json_populate_recordset(NULL::profiles, $1::json)', [
      JSON.stringify(batch),
    ]);
  }
  await admin.query(`UPDATE users SET role = 'admin', scopes = array_append(scopes, 'admin:all') WHERE email = $1`, [
    user.email,
  ]);
  await admin.end();
  await service.stop();

  service = await startService({ ...env, ENCRYPTION_KEYS: `v2:${randomBytes(32).toString('base64')},${keysV1}` }, 1, {
    dataDir,
    keepData: true,
  });
  const { token: adminToken } = await json(
    await post(`${service.url}/v1/auth/login`, { email: user.email, password: user.password }),
  );
  const adminAuth = { authorization: `Bearer ${adminToken}` };
  const started = Date.now();
  await post(`${service.url}/v1/admin/keyring/rewrap`, {}, adminAuth);
  let state;
  for (;;) {
    state = (await json(await fetch(`${service.url}/v1/admin/keyring`, { headers: adminAuth }))).rewrap;
    if (state.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const secondsTaken = (Date.now() - started) / 1000;
  if (state.state !== 'done' || state.remaining !== 0) throw new Error(`rewrap ended ${JSON.stringify(state)}`);
  const rewrapRate = state.rewrapped / secondsTaken;
  process.stdout.write(`\n| scenario | req/s | ratio to A |\n|---|---|---|\n`);
  for (const r of rows)
    process.stdout.write(`| ${r.id} ${r.scenario} | ${r.perSecond.toFixed(0)} | ${r.ratio.toFixed(2)} |\n`);
  process.stdout.write(
    `\nrewrap: ${state.rewrapped} profiles to v2 in ${secondsTaken.toFixed(1)} s = ${rewrapRate.toFixed(0)} profiles/s\n`,
  );
  process.stdout.write(`target: decrypting GET ≥ 0.80 of the trivial GET: ${rows[1].ratio >= 0.8 ? 'PASS' : 'MISS'}\n`);
  if (!smoke) {
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(
      join(ROOT, `bench/results/profiles-${new Date().toISOString().slice(0, 10)}.json`),
      JSON.stringify(
        {
          connections,
          seconds,
          rounds,
          rows,
          rewrap: { profiles: state.rewrapped, seconds: secondsTaken, perSecond: rewrapRate },
        },
        null,
        2,
      ) + '\n',
    );
  }
} finally {
  await service.stop();
  const { rmSync } = await import('node:fs');
  rmSync(dataDir, { recursive: true, force: true });
}
