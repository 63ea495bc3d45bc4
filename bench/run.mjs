// The benchmark harness: one command measures the hot paths as ratios against baselines taken in the same run.
//   npm run bench                 build, start the service (production mode, fresh embedded or DATABASE_URL database),
//                                 seed users and keys, run every scenario in alternating A/B rounds, report medians
//   npm run bench -- --smoke      a few seconds per scenario (CI runs this so the harness cannot rot); no files kept
//   npm run bench -- --long       also RSS after 10 minutes of load against RSS after 1 minute
// Options: --seconds N (per run, default 8), --rounds N (default 3), --only name,name
// Writes bench/results/<date>.json, <date>.md and <date>.svg (a bar chart of the ratios; no browser needed).
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, metric, pinned, pinSelf, ROOT, startService, verifyEmail } from './lib.mjs';

pinSelf(0); // the load generator on core 0; the service (and its PostgreSQL) and the bare baseline on core 1

const argv = process.argv.slice(2);
const has = (f) => argv.includes(f);
const opt = (f, fallback) => (argv.indexOf(f) >= 0 ? argv[argv.indexOf(f) + 1] : fallback);
const smoke = has('--smoke');
const long = has('--long');
const seconds = Number(opt('--seconds', smoke ? 1 : 8));
const rounds = Number(opt('--rounds', smoke ? 1 : 3));
const only = opt('--only', '')?.split(',').filter(Boolean);
const connections = 16;
const THREADPOOL = '4';
const PASSWORD = 'orbit velvet cactus lantern';

const secrets = {
  PG_SUPERUSER_PASSWORD: randomBytes(24).toString('base64url'),
  DB_OWNER_PASSWORD: randomBytes(24).toString('base64url'),
  DB_APP_PASSWORD: randomBytes(24).toString('base64url'),
  API_KEY_PEPPERS: `1:${randomBytes(32).toString('base64url')}`,
  ENCRYPTION_KEYS: `v1:${randomBytes(32).toString('base64')}`,
  // Production insists on an SMTP server; outbox delivery is off during the run, so nothing is ever sent to it.
  SMTP_URL: 'smtp://127.0.0.1:2525',
};
// Production mode (real Argon2 parameters, no docs), background jobs off so statement counts are the requests' own.
const serviceEnv = {
  NODE_ENV: 'production',
  ...secrets,
  UV_THREADPOOL_SIZE: THREADPOOL,
  MAIL_DELIVERY_INTERVAL_MS: '0',
  API_KEY_JOBS_INTERVAL_MS: '0',
  CERT_CHECK_CRON: 'off',
  IP_FAILURE_THRESHOLD: '10000',
  // The load comes from one address: the per-address limits (IP_LIMIT_*) would turn the login flood into 429s and
  // stop the setup's 32 registrations at 10. Raised here only; they are tested at their defaults.
  IP_LIMIT_REGISTER: '100000',
  IP_LIMIT_LOGIN: '100000',
};

let step = 0;
const progress = (name, detail) => process.stdout.write(`[${step}/${SCENARIOS.length}] ${name}: ${detail}\n`);

async function json(res) {
  const body = await res.json();
  if (res.status >= 300) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

const post = (url, path, body, headers = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** One autocannon run; refuses to report a run with unexpected answers. */
async function load(
  url,
  { path, headers = {}, method = 'GET', requests, expect = 200, duration = seconds, conns = connections },
) {
  const r = await autocannon({
    url: `${url}${path}`,
    method,
    headers,
    requests,
    connections: conns,
    duration,
    pipelining: 1,
  });
  const wrong = Object.keys(r.statusCodeStats ?? {}).filter((code) => Number(code) !== expect);
  if (wrong.length || r.errors)
    throw new Error(`${method} ${path}: unexpected answers ${JSON.stringify(r.statusCodeStats)} errors=${r.errors}`);
  return { perSecond: r.requests.average, p99: r.latency.p99, total: r.requests.total };
}

/** Alternating A/B rounds; medians of throughput and p99. */
async function ab(name, a, b) {
  const A = [];
  const B = [];
  for (let i = 0; i < rounds; i++) {
    progress(name, `round ${i + 1}/${rounds}`);
    A.push(await a());
    B.push(await b());
  }
  const m = (xs, k) => median(xs.map((x) => x[k]));
  return {
    baseline: m(A, 'perSecond'),
    measured: m(B, 'perSecond'),
    baselineP99: m(A, 'p99'),
    measuredP99: m(B, 'p99'),
  };
}

let service;
let ctx;

async function seed() {
  const url = service.url;
  const users = [];
  for (let i = 0; i < 32; i++) {
    const u = { email: `bench${i}@example.com`, username: `bench${i}`, password: PASSWORD };
    const reg = await post(url, '/v1/auth/register', u);
    if (reg.status !== 202) throw new Error(`register: ${reg.status}`);
    users.push({ email: u.email, password: PASSWORD });
  }
  // The first user makes the keys and the profile: a verified address, as the service requires for both.
  await verifyEmail(service, users[0].email);
  const { token } = await json(await post(url, '/v1/auth/login', users[0]));
  const auth = { authorization: `Bearer ${token}` };
  const key = async (body) =>
    (
      await json(
        await post(
          url,
          '/v1/api-keys',
          { name: 'bench', scopes: ['profiles:read', 'profiles:read_sensitive'], ...body },
          auth,
        ),
      )
    ).key;
  const plain = await key({});
  const limited = await key({ rateLimit: { limit: 1_000_000, windowSeconds: 60 } }); // far above what 2 cores serve
  await json(
    await fetch(`${url}/v1/profiles/me`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({
        displayName: 'Bench',
        ssn: '123-45-6789',
        cardNumber: '4242 4242 4242 4242',
        medicalInfo: { allergies: ['none'] },
      }),
    }),
  );
  const junk = `sk_live_${'A'.repeat(12)}_${'b'.repeat(49)}`; // right shape, wrong checksum
  // A session of its own user: the login flood signs the other users in and out of their session cap.
  const sessionUser = { email: 'bench-session@example.com', username: 'bench_session', password: PASSWORD };
  if ((await post(url, '/v1/auth/register', sessionUser)).status !== 202) throw new Error('register session user');
  await verifyEmail(service, sessionUser.email);
  const session = (await json(await post(url, '/v1/auth/login', { email: sessionUser.email, password: PASSWORD })))
    .token;
  return { users, plain, limited, junk, session, bearer: (k) => ({ authorization: `Bearer ${k}` }) };
}

const SCENARIOS = [
  {
    id: 'key-warm',
    name: 'GET with valid API key, warm',
    baseline: 'same app, public GET (same route)',
    target: { ratio: 0.9, p99: 1.2 },
    async run() {
      const statementsBefore = await metric(service.url, 'db_statements_total');
      let requests = 0;
      const r = await ab(
        this.name,
        () => load(service.url, { path: '/v1/scopes' }),
        async () => {
          const x = await load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.plain) });
          requests += x.total;
          return x;
        },
      );
      await new Promise((res) => setTimeout(res, 1200)); // the usage flush of those requests
      ctx.statementsPerKeyRequest =
        ((await metric(service.url, 'db_statements_total')) - statementsBefore) / Math.max(1, requests);
      return r;
    },
  },
  {
    id: 'malformed-flood',
    name: 'malformed-key flood',
    baseline: 'same app, public GET (same route)',
    target: { ratio: 0.9, statements: 0 },
    async run() {
      let statements = 0;
      const r = await ab(
        this.name,
        () => load(service.url, { path: '/v1/scopes' }),
        async () => {
          const before = await metric(service.url, 'db_statements_total');
          const x = await load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.junk), expect: 401 });
          statements += (await metric(service.url, 'db_statements_total')) - before;
          return x;
        },
      );
      return { ...r, extra: { statements } };
    },
  },
  {
    id: 'me-key',
    name: 'GET /v1/me with valid API key, warm',
    baseline: 'API-key GET on /v1/scopes (same key)',
    target: { ratio: 0.9 },
    run() {
      return principalRow(this.name, ctx.plain, 'statementsPerMeKeyRequest');
    },
  },
  {
    id: 'me-session',
    name: 'GET /v1/me with a session, warm',
    baseline: 'API-key GET on /v1/scopes',
    target: { ratio: 0.9 },
    run() {
      return principalRow(this.name, ctx.session, 'statementsPerSessionRequest');
    },
  },
  {
    id: 'session-get',
    name: 'Session GET (/v1/scopes)',
    baseline: 'API-key GET on /v1/scopes',
    target: { ratio: 0.9 },
    run() {
      return ab(
        this.name,
        () => load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.plain) }),
        () => load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.session) }),
      );
    },
  },
  {
    id: 'statements-per-session-request',
    name: 'DB statements per session request (/v1/me)',
    baseline: '—',
    target: { max: 0.01 },
    async run() {
      if (ctx.statementsPerSessionRequest === undefined) await scenario('me-session').run();
      return { value: ctx.statementsPerSessionRequest };
    },
  },
  {
    id: 'statements-per-request',
    name: 'DB statements per authenticated request',
    baseline: '—',
    target: { max: 0.01 },
    async run() {
      if (ctx.statementsPerKeyRequest === undefined) await SCENARIOS[0].run.call(SCENARIOS[0]);
      return { value: ctx.statementsPerKeyRequest };
    },
  },
  {
    id: 'login',
    name: 'login (Argon2id defaults)',
    baseline: 'bare Node script verifying Argon2id, same parameters and thread pool',
    target: { ratio: 0.9 },
    async run() {
      let next = 0;
      const bare = async () => {
        const [cmd, args] = pinned(
          process.execPath,
          [join(ROOT, 'bench/argon2-bare.mjs'), String(seconds), THREADPOOL],
          1,
        );
        const out = execFileSync(cmd, args, { env: { ...process.env, UV_THREADPOOL_SIZE: THREADPOOL } }).toString();
        return { perSecond: JSON.parse(out.trim().split('\n').pop()).perSecond, p99: 0 };
      };
      const logins = () =>
        load(service.url, {
          path: '/v1/auth/login',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          requests: [
            { setupRequest: (req) => ({ ...req, body: JSON.stringify(ctx.users[next++ % ctx.users.length]) }) },
          ],
          conns: 8,
        });
      return ab(this.name, bare, logins);
    },
  },
  {
    id: 'key-during-login-flood',
    name: 'API-key GET during a login flood',
    baseline: 'API-key GET alone',
    target: { ratio: 0.5 },
    async run() {
      let next = 0;
      const alone = () => load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.plain) });
      const during = async () => {
        const flood = load(service.url, {
          path: '/v1/auth/login',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          requests: [
            { setupRequest: (req) => ({ ...req, body: JSON.stringify(ctx.users[next++ % ctx.users.length]) }) },
          ],
          conns: 16,
        });
        const keys = await alone();
        await flood;
        return keys;
      };
      return ab(this.name, alone, during);
    },
  },
  {
    id: 'profile-decrypt',
    name: 'profile GET decrypting all PII',
    baseline: 'authenticated trivial GET (/v1/me, same key)',
    target: { ratio: 0.8 },
    run() {
      return ab(
        this.name,
        () => load(service.url, { path: '/v1/me', headers: ctx.bearer(ctx.plain) }),
        () => load(service.url, { path: '/v1/profiles/me?reveal=true', headers: ctx.bearer(ctx.plain) }),
      );
    },
  },
  {
    id: 'rate-limiter',
    name: 'rate limiter on',
    baseline: 'rate limiter off (a key without a limit)',
    target: { ratio: 0.95 },
    run() {
      return ab(
        this.name,
        () => load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.plain) }),
        () => load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.limited) }),
      );
    },
  },
  {
    id: 'rss',
    name: 'RSS after 10 min of load',
    baseline: 'RSS after 1 min',
    target: { max: 1.1 },
    async run() {
      if (!long) return { skipped: 'run with --long' };
      const rss = async () => metric(service.url, 'process_resident_memory_bytes');
      const minute = (n) => load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.plain), duration: 60 * n });
      progress(this.name, 'first minute');
      await minute(1);
      const first = await rss();
      progress(this.name, 'nine more minutes');
      await minute(9);
      const last = await rss();
      return { value: last / first, extra: { rssAfter1MinMiB: first / 2 ** 20, rssAfter10MinMiB: last / 2 ** 20 } };
    },
  },
  {
    id: 'cold-start',
    name: 'cold start to ready (warm data dir)',
    baseline: '—',
    target: { maxMs: 3000 },
    async run() {
      const dataDir = service.dataDir;
      await service.stop();
      service = await startService(serviceEnv, 1, { dataDir, keepData: true });
      return { valueMs: service.readyMs };
    },
  },
];

function scenario(id) {
  const s = SCENARIOS.find((x) => x.id === id);
  return { run: () => s.run.call(s) };
}

/**
 * `GET /v1/me` with `credential` against the API-key GET on /v1/scopes; the statements the measured runs sent, per
 * request (after the next usage flush), go to `ctx[statementsKey]`.
 */
async function principalRow(name, credential, statementsKey) {
  let statements = 0;
  let requests = 0;
  const r = await ab(
    name,
    () => load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.plain) }),
    async () => {
      await new Promise((res) => setTimeout(res, 1200)); // the baseline's usage flush lands outside the count
      const before = await metric(service.url, 'db_statements_total');
      const x = await load(service.url, { path: '/v1/me', headers: ctx.bearer(credential) });
      await new Promise((res) => setTimeout(res, 1200)); // this run's usage flush lands inside it
      statements += (await metric(service.url, 'db_statements_total')) - before;
      requests += x.total;
      return x;
    },
  );
  ctx[statementsKey] = statements / Math.max(1, requests);
  return { ...r, extra: { statementsPerRequest: ctx[statementsKey] } };
}

function verdict(s, r) {
  if (r.skipped) return 'not run';
  const t = s.target;
  if (t.ratio !== undefined) {
    const ratioOk = r.measured / r.baseline >= t.ratio;
    const p99Ok = t.p99 === undefined || r.measuredP99 <= t.p99 * Math.max(r.baselineP99, 1);
    const stmtOk = t.statements === undefined || (r.extra?.statements ?? 0) <= t.statements;
    return ratioOk && p99Ok && stmtOk ? 'PASS' : 'MISS';
  }
  if (t.max !== undefined) return r.value <= t.max ? 'PASS' : 'MISS';
  if (t.maxMs !== undefined) return r.valueMs <= t.maxMs ? 'PASS' : 'MISS';
  return '—';
}

function describeResult(s, r) {
  if (r.skipped) return { value: '—', targetText: targetText(s.target), note: r.skipped };
  if (r.baseline !== undefined) {
    const ratio = r.measured / r.baseline;
    const p99 = r.baselineP99 ? (r.measuredP99 / r.baselineP99).toFixed(2) : '—';
    return {
      value: ratio.toFixed(3),
      ratio,
      targetText: targetText(s.target),
      note: `${r.measured.toFixed(0)}/s vs ${r.baseline.toFixed(0)}/s; p99 ${r.measuredP99} vs ${r.baselineP99} ms (×${p99})${r.extra?.statements !== undefined ? `; ${r.extra.statements} statements` : ''}`,
    };
  }
  if (r.valueMs !== undefined) return { value: `${r.valueMs} ms`, targetText: targetText(s.target), note: '' };
  return { value: r.value.toFixed(4), targetText: targetText(s.target), note: r.extra ? JSON.stringify(r.extra) : '' };
}

function targetText(t) {
  if (t.ratio !== undefined)
    return `≥ ${t.ratio.toFixed(2)}${t.p99 ? `, p99 ≤ ${t.p99}×` : ''}${t.statements !== undefined ? ', 0 statements' : ''}`;
  if (t.max !== undefined) return `≤ ${t.max}`;
  if (t.maxMs !== undefined) return `≤ ${t.maxMs / 1000} s`;
  return '—';
}

/** A horizontal bar chart of the ratio scenarios against their targets, as SVG text. */
function svgChart(rows) {
  const bars = rows.filter((r) => r.ratio !== undefined);
  const width = 760;
  const left = 290;
  const scale = (width - left - 60) / 1.2;
  const height = 40 + bars.length * 34;
  const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<text x="10" y="20" font-weight="bold">Throughput ratio to the baseline of the same run (line: target)</text>`,
  ];
  bars.forEach((r, i) => {
    const y = 34 + i * 34;
    const w = Math.max(1, Math.min(1.2, r.ratio) * scale);
    const colour = r.verdict === 'PASS' ? '#2e7d32' : '#c62828';
    parts.push(`<text x="10" y="${y + 16}">${esc(r.name)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="20" fill="${colour}"/>`);
    parts.push(`<text x="${left + w + 6}" y="${y + 16}">${r.ratio.toFixed(2)}</text>`);
    const tx = left + r.targetRatio * scale;
    parts.push(
      `<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${y}" y2="${y + 26}" stroke="#000" stroke-width="2"/>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

const started = Date.now();
const results = [];
service = await startService(serviceEnv, 1);
try {
  ctx = await seed();
  // Warm-up: JIT, the pool, the cache entries of the keys.
  for (const k of [ctx.plain, ctx.limited])
    await load(service.url, { path: '/v1/scopes', headers: ctx.bearer(k), duration: smoke ? 1 : 3 });
  await load(service.url, {
    path: '/v1/profiles/me?reveal=true',
    headers: ctx.bearer(ctx.plain),
    duration: smoke ? 1 : 2,
  });
  process.stdout.write(
    `bench: ${rounds} round(s) × ${seconds} s per side, ${connections} connections, pipelining 1, autocannon on core 0 and the service on core 1 when taskset exists; service ready in ${service.readyMs} ms${smoke ? ' (smoke)' : ''}\n`,
  );
  for (const s of SCENARIOS) {
    step++;
    if (only?.length && !only.includes(s.id)) continue;
    const r = await s.run();
    const d = describeResult(s, r);
    const row = {
      id: s.id,
      name: s.name,
      baselineName: s.baseline,
      ...r,
      ...d,
      targetRatio: s.target.ratio,
      verdict: verdict(s, r),
    };
    results.push(row);
    progress(s.name, `${d.value} (${row.verdict})`);
  }
} finally {
  await service.stop();
}

const lines = [
  '| scenario | baseline | result | target | verdict | detail |',
  '|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.name} | ${r.baselineName} | ${r.value} | ${r.targetText} | ${r.verdict} | ${r.note} |`),
];
const table = lines.join('\n');
process.stdout.write(
  `\n${table}\n\n${results.filter((r) => r.verdict === 'PASS').length} PASS, ${results.filter((r) => r.verdict === 'MISS').length} MISS, ${results.filter((r) => r.verdict === 'not run').length} not run; ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);

const date = new Date().toISOString().slice(0, 10);
const dir = smoke ? mkdtempSync(join(tmpdir(), 'sb-bench-smoke-')) : join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const meta = {
  date: new Date().toISOString(),
  smoke,
  long,
  rounds,
  seconds,
  connections,
  node: process.version,
  mode: 'production',
  database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
};
writeFileSync(join(dir, `${date}.json`), JSON.stringify({ meta, results }, null, 2) + '\n');
writeFileSync(join(dir, `${date}.svg`), svgChart(results));
writeFileSync(
  join(dir, `${date}.md`),
  `# Benchmark ${meta.date}\n\n${rounds} alternating round(s) × ${seconds} s per side, ${connections} connections, medians; production mode, ${meta.database} PostgreSQL, Node ${process.version}. Ratios compare with a baseline measured in the same run.\n\n${table}\n\n![ratios](${date}.svg)\n`,
);
process.stdout.write(`wrote ${join(dir, `${date}.json`)}, .md and .svg\n`);
if (smoke && results.some((r) => r.verdict === undefined)) process.exit(1);
