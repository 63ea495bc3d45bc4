// The benchmark harness: one command measures the hot paths as ratios against baselines taken in the same run.
//   npm run bench                 build, start the service (production mode, fresh embedded or DATABASE_URL database),
//                                 seed users and keys, run every scenario in alternating A/B rounds, report medians
//   npm run bench -- --smoke      a few seconds per scenario (CI runs this so the harness cannot rot); no files kept
//   npm run bench -- --long       also RSS after 10 minutes of load against RSS after 1 minute
// Options: --seconds N (per run, default 8), --rounds N (default 3), --only name,name, --reruns N (default 2),
//          --profile (the service under `node --cpu-prof`: bench/results/<date>.cpuprofile and <date>-profile.md),
//          --name X (files named <date>-X, so a second run of the day keeps the first)
// Writes bench/results/<date>.json, <date>.md and <date>.svg (a bar chart of the ratios; no browser needed).
// Every ratio comes with the spread (min–max) of its rounds' own ratios; a row whose rounds disagree by more than 10%
// is re-run with more, shorter rounds (up to --reruns times) and, if still unsteady, reported UNSTABLE: no verdict.
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, metric, pinned, pinSelf, ROOT, startHello, startService, verifyEmail } from './lib.mjs';
import { summarizeProfile } from './profile-summary.mjs';

pinSelf(0); // the load generator on core 0; the service (and its PostgreSQL) and the bare baseline on core 1

const argv = process.argv.slice(2);
const has = (f) => argv.includes(f);
const opt = (f, fallback) => (argv.indexOf(f) >= 0 ? argv[argv.indexOf(f) + 1] : fallback);
const smoke = has('--smoke');
const long = has('--long');
const seconds = Number(opt('--seconds', smoke ? 1 : 8));
const rounds = Number(opt('--rounds', smoke ? 1 : 3));
const only = opt('--only', '')?.split(',').filter(Boolean);
const maxReruns = Number(opt('--reruns', smoke ? 0 : 2));
const profile = has('--profile');
const connections = 16;
/** Rounds whose own ratios differ by more than this (max − min, relative to their median) make a row UNSTABLE. */
const STABILITY = 0.1;
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

/** What the run checked about the service's answers while it measured them (reported with the results). */
const checks = {
  headers: { sampled: 0, failures: [] },
  accessLog: { loads: 0, requests: 0, lines: 0, failures: [] },
};

/** What every answer of the service carries, whatever its status (helmet, the onSend hook, the access-log hook). */
const REQUIRED_HEADERS = {
  'content-security-policy': /default-src 'self'/,
  'strict-transport-security': /max-age=63072000/,
  'x-content-type-options': /^nosniff$/,
  'x-frame-options': /^DENY$/i,
  'referrer-policy': /^no-referrer$/,
  'permissions-policy': /camera=\(\)/,
  'cache-control': /./,
  'x-request-id': /./,
};

async function checkHeaders(url, path, method, headers) {
  const res = await fetch(`${url}${path}`, { method, headers });
  await res.arrayBuffer();
  checks.headers.sampled++;
  const missing = Object.entries(REQUIRED_HEADERS)
    .filter(([h, re]) => !re.test(res.headers.get(h) ?? ''))
    .map(([h]) => h);
  if (missing.length) checks.headers.failures.push(`${method} ${path} (${res.status}): ${missing.join(', ')}`);
}

/**
 * Waits until the service's log stops growing (its last access lines are written after the answers): unchanged for
 * 400 ms, at most 5 s. On a busy machine the service may not run for a while between answering and writing.
 */
async function settledAccessLines() {
  let last = service.accessLines();
  let still = 0;
  for (let i = 0; i < 100 && still < 8; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = service.accessLines();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}

/**
 * One autocannon run; refuses to report a run with unexpected answers. Against the service (not a hello world) it
 * also samples one answer's security headers mid-run and, unless `logCheck` is false (concurrent loads), checks that
 * the access log grew by one line per request: at least one per answered request, at most one per request sent
 * (autocannon stops with up to `conns` requests in flight that the service still answers and logs).
 */
async function load(
  url,
  {
    path,
    headers = {},
    method = 'GET',
    requests,
    expect = 200,
    duration = seconds,
    conns = connections,
    logCheck = true,
  },
) {
  const ours = url === service?.url;
  const linesBefore = ours && logCheck ? await settledAccessLines() : 0;
  const sample = ours
    ? new Promise((r) => setTimeout(r, Math.min(500, duration * 250))).then(() =>
        checkHeaders(url, path, method, headers),
      )
    : undefined;
  const r = await autocannon({
    url: `${url}${path}`,
    method,
    headers,
    requests,
    connections: conns,
    duration,
    pipelining: 1,
  });
  await sample;
  const wrong = Object.keys(r.statusCodeStats ?? {}).filter((code) => Number(code) !== expect);
  if (wrong.length || r.errors)
    throw new Error(`${method} ${path}: unexpected answers ${JSON.stringify(r.statusCodeStats)} errors=${r.errors}`);
  if (ours && logCheck) {
    const lines = (await settledAccessLines()) - linesBefore;
    const answered = r.requests.total + 1; // the header sample too
    checks.accessLog.loads++;
    checks.accessLog.requests += answered;
    checks.accessLog.lines += lines;
    if (lines < answered || lines > answered + conns)
      checks.accessLog.failures.push(`${method} ${path}: ${lines} access lines for ${answered} answers`);
  }
  return { perSecond: r.requests.average, p99: r.latency.p99, total: r.requests.total };
}

const spreadOf = (ratios) => (Math.max(...ratios) - Math.min(...ratios)) / median(ratios);

/** Interleaved rounds (A B, then B A, …) of `duration` seconds per side. */
async function interleaved(name, a, b, n, duration, label) {
  const A = [];
  const B = [];
  for (let i = 0; i < n; i++) {
    progress(name, `${label}round ${i + 1}/${n}`);
    if (i % 2 === 0) {
      A.push(await a(duration));
      B.push(await b(duration));
    } else {
      B.push(await b(duration));
      A.push(await a(duration));
    }
  }
  const m = (xs, k) => median(xs.map((x) => x[k]));
  const roundRatios = B.map((x, i) => x.perSecond / A[i].perSecond);
  return {
    baseline: m(A, 'perSecond'),
    measured: m(B, 'perSecond'),
    baselineP99: m(A, 'p99'),
    measuredP99: m(B, 'p99'),
    rounds: n,
    roundSeconds: duration,
    roundRatios,
    spread: { min: Math.min(...roundRatios), max: Math.max(...roundRatios) },
    stable: n === 1 || spreadOf(roundRatios) <= STABILITY,
  };
}

/**
 * Alternating A/B rounds; medians of throughput and p99, and the spread of the rounds' own ratios. A row whose rounds
 * disagree by more than 10% is measured again with twice the rounds at half the length (interleaving more often
 * against drift from other work on the machine), up to `maxReruns` times; the last measurement is reported, with how
 * many attempts it took and whether it settled.
 */
async function ab(name, a, b) {
  let r = await interleaved(name, a, b, rounds, seconds, '');
  const attempts = [r];
  for (let i = 1; !r.stable && i <= maxReruns; i++) {
    const n = rounds * 2 ** i;
    const d = Math.max(2, Math.round(seconds / 2 ** i));
    progress(name, `rounds disagree by ${(spreadOf(r.roundRatios) * 100).toFixed(0)}%: re-run ${i}/${maxReruns}`);
    r = await interleaved(name, a, b, n, d, `re-run ${i}: `);
    attempts.push(r);
  }
  return {
    ...r,
    attempts: attempts.map(({ rounds: n, roundSeconds, spread, stable }) => ({
      rounds: n,
      roundSeconds,
      spread,
      stable,
    })),
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

/** The framework floor, started by the harness on the service's core with the same Node (bench/hello.mjs). */
let hello;
const helloGet = (which) => (d) => load(hello[which].url, { path: '/hello', duration: d });
const publicGet = (d) => load(service.url, { path: '/v1/scopes', duration: d });
const keyGet = (d) => load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.plain), duration: d });

const SCENARIOS = [
  {
    id: 'nest-hello',
    name: 'NestJS-on-Fastify hello world',
    baseline: 'bare Fastify hello world (same core, same Node)',
    target: { reference: true },
    run() {
      return ab(this.name, helloGet('fastify'), helloGet('nest'));
    },
  },
  {
    id: 'floor',
    name: "bare Fastify with the service's per-request behaviours (the floor)",
    baseline: 'bare Fastify hello world (same core, same Node)',
    target: { reference: true },
    run() {
      return ab(this.name, helloGet('fastify'), helloGet('floor'));
    },
  },
  {
    id: 'public-vs-floor',
    name: 'public GET vs the floor (what Nest, the guards and the handler add)',
    baseline: "bare Fastify with the service's per-request behaviours",
    target: { reference: true },
    run() {
      return ab(this.name, helloGet('floor'), publicGet);
    },
  },
  {
    id: 'public-get',
    name: 'public GET, every production behaviour on',
    baseline: 'bare Fastify hello world (same core, same Node)',
    target: { ratio: 0.6 },
    run() {
      return ab(this.name, helloGet('fastify'), publicGet);
    },
  },
  {
    id: 'key-get',
    name: 'GET with valid API key vs bare Fastify',
    baseline: 'bare Fastify hello world (same core, same Node)',
    target: { ratio: 0.5 },
    run() {
      return ab(this.name, helloGet('fastify'), keyGet);
    },
  },
  {
    id: 'key-warm',
    name: 'GET with valid API key, warm',
    baseline: 'same app, public GET (same route)',
    target: { ratio: 0.9, p99: 1.2 },
    async run() {
      const statementsBefore = await metric(service.url, 'db_statements_total');
      let requests = 0;
      const r = await ab(this.name, publicGet, async (d) => {
        const x = await keyGet(d);
        requests += x.total;
        return x;
      });
      await new Promise((res) => setTimeout(res, 1200)); // the usage flush of those requests
      ctx.statementsPerKeyRequest =
        ((await metric(service.url, 'db_statements_total')) - statementsBefore) / Math.max(1, requests);
      return r;
    },
  },
  {
    id: 'me-key',
    name: 'GET /v1/me with an API key, warm',
    baseline: 'API-key GET /v1/scopes',
    target: { ratio: 0.9 },
    run() {
      return principalRow(this.name, ctx.plain, 'statementsPerMeKeyRequest');
    },
  },
  {
    id: 'me-session',
    name: 'GET /v1/me with a session, warm',
    baseline: 'API-key GET /v1/scopes',
    target: { ratio: 0.9 },
    run() {
      return principalRow(this.name, ctx.session, 'statementsPerSessionRequest');
    },
  },
  {
    id: 'session-get',
    name: 'Session GET (/v1/scopes)',
    baseline: 'API-key GET /v1/scopes',
    target: { ratio: 0.9 },
    run() {
      return ab(this.name, keyGet, (d) =>
        load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.session), duration: d }),
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
    id: 'malformed-flood',
    name: 'malformed-key flood',
    baseline: 'same app, public GET (same route)',
    target: { ratio: 0.9, statements: 0 },
    async run() {
      let statements = 0;
      const r = await ab(this.name, publicGet, async (d) => {
        const before = await metric(service.url, 'db_statements_total');
        const x = await load(service.url, {
          path: '/v1/scopes',
          headers: ctx.bearer(ctx.junk),
          expect: 401,
          duration: d,
        });
        statements += (await metric(service.url, 'db_statements_total')) - before;
        return x;
      });
      return { ...r, extra: { statements } };
    },
  },
  {
    id: 'statements-per-request',
    name: 'DB statements per authenticated request',
    baseline: '—',
    target: { max: 0.01 },
    async run() {
      if (ctx.statementsPerKeyRequest === undefined) await SCENARIOS.find((s) => s.id === 'key-warm').run();
      return { value: ctx.statementsPerKeyRequest };
    },
  },
  {
    id: 'login',
    name: 'login (Argon2id defaults)',
    baseline: 'bare Node script verifying Argon2id (the built-in the service uses), same parameters',
    target: { ratio: 0.85 },
    async run() {
      let next = 0;
      const bare = async (d) => {
        const [cmd, args] = pinned(process.execPath, [join(ROOT, 'bench/argon2-bare.mjs'), String(d), THREADPOOL], 1);
        const out = execFileSync(cmd, args, { env: { ...process.env, UV_THREADPOOL_SIZE: THREADPOOL } }).toString();
        return { perSecond: JSON.parse(out.trim().split('\n').pop()).perSecond, p99: 0 };
      };
      // The statements a login sends (each one a round trip on the service's core): counted over the login rounds.
      let statements = 0;
      let answered = 0;
      const logins = async (d) => {
        const before = await metric(service.url, 'db_statements_total');
        const x = await load(service.url, {
          path: '/v1/auth/login',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          requests: [
            { setupRequest: (req) => ({ ...req, body: JSON.stringify(ctx.users[next++ % ctx.users.length]) }) },
          ],
          conns: 8,
          duration: d,
        });
        statements += (await metric(service.url, 'db_statements_total')) - before;
        answered += x.total;
        return x;
      };
      const r = await ab(this.name, bare, logins);
      return { ...r, extra: { statementsPerLogin: Number((statements / Math.max(1, answered)).toFixed(1)) } };
    },
  },
  {
    id: 'key-during-login-flood',
    name: 'API-key GET during a login flood',
    baseline: 'API-key GET alone',
    target: { ratio: 0.5 },
    async run() {
      let next = 0;
      const loginRates = [];
      const during = async (d) => {
        // Two loads at once: the access-log count is checked on the solo rounds only.
        const flood = load(service.url, {
          path: '/v1/auth/login',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          requests: [
            { setupRequest: (req) => ({ ...req, body: JSON.stringify(ctx.users[next++ % ctx.users.length]) }) },
          ],
          conns: 16,
          duration: d,
          logCheck: false,
        });
        const keys = await load(service.url, {
          path: '/v1/scopes',
          headers: ctx.bearer(ctx.plain),
          duration: d,
          logCheck: false,
        });
        loginRates.push((await flood).perSecond);
        return keys;
      };
      // How many logins the flood still got through: the hashes wait, they are not refused.
      const r = await ab(this.name, keyGet, during);
      return { ...r, extra: { loginsPerSecondDuringFlood: Math.round(median(loginRates)) } };
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
        (d) => load(service.url, { path: '/v1/me', headers: ctx.bearer(ctx.plain), duration: d }),
        (d) => load(service.url, { path: '/v1/profiles/me?reveal=true', headers: ctx.bearer(ctx.plain), duration: d }),
      );
    },
  },
  {
    id: 'rate-limiter',
    name: 'rate limiter on',
    baseline: 'rate limiter off (a key without a limit)',
    target: { ratio: 0.95 },
    run() {
      return ab(this.name, keyGet, (d) =>
        load(service.url, { path: '/v1/scopes', headers: ctx.bearer(ctx.limited), duration: d }),
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
  const r = await ab(name, keyGet, async (d) => {
    await new Promise((res) => setTimeout(res, 1200)); // the baseline's usage flush lands outside the count
    const before = await metric(service.url, 'db_statements_total');
    const x = await load(service.url, { path: '/v1/me', headers: ctx.bearer(credential), duration: d });
    await new Promise((res) => setTimeout(res, 1200)); // this run's usage flush lands inside it
    statements += (await metric(service.url, 'db_statements_total')) - before;
    requests += x.total;
    return x;
  });
  ctx[statementsKey] = statements / Math.max(1, requests);
  return { ...r, extra: { statementsPerRequest: ctx[statementsKey] } };
}

/** PASS or MISS for a steady row only; UNSTABLE rows (rounds more than 10% apart after the re-runs) get no verdict. */
function verdict(s, r) {
  if (r.skipped) return 'not run';
  const t = s.target;
  if (r.stable === false) return 'UNSTABLE';
  if (t.reference) return 'reference';
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
    const tries = r.attempts.length > 1 ? `; ${r.attempts.length} attempts` : '';
    return {
      value: `${ratio.toFixed(3)} (${r.spread.min.toFixed(2)}–${r.spread.max.toFixed(2)})`,
      ratio,
      targetText: targetText(s.target),
      note: `${r.measured.toFixed(0)}/s vs ${r.baseline.toFixed(0)}/s; p99 ${r.measuredP99} vs ${r.baselineP99} ms (×${p99}); ${r.rounds} × ${r.roundSeconds} s${tries}${r.extra?.statements !== undefined ? `; ${r.extra.statements} statements` : ''}${r.extra?.loginsPerSecondDuringFlood !== undefined ? `; ${r.extra.loginsPerSecondDuringFlood} logins/s during the flood` : ''}${r.extra?.statementsPerLogin !== undefined ? `; ${r.extra.statementsPerLogin} statements per login` : ''}`,
    };
  }
  if (r.valueMs !== undefined) return { value: `${r.valueMs} ms`, targetText: targetText(s.target), note: '' };
  return { value: r.value.toFixed(4), targetText: targetText(s.target), note: r.extra ? JSON.stringify(r.extra) : '' };
}

function targetText(t) {
  if (t.reference) return 'reference';
  if (t.ratio !== undefined)
    return `≥ ${t.ratio.toFixed(2)}${t.p99 ? `, p99 ≤ ${t.p99}×` : ''}${t.statements !== undefined ? ', 0 statements' : ''}`;
  if (t.max !== undefined) return `≤ ${t.max}`;
  if (t.maxMs !== undefined) return `≤ ${t.maxMs / 1000} s`;
  return '—';
}

/** A horizontal bar chart of the ratio scenarios against their targets, as SVG text. */
function svgChart(rows) {
  const bars = rows.filter((r) => r.ratio !== undefined);
  const width = 900;
  const left = 300;
  const scale = (width - left - 200) / 1.2;
  const height = 40 + bars.length * 34;
  const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<text x="10" y="20" font-weight="bold">Throughput ratio to the baseline of the same run (whisker: rounds' min–max; bar: target)</text>`,
  ];
  bars.forEach((r, i) => {
    const y = 34 + i * 34;
    const w = Math.max(1, Math.min(1.2, r.ratio) * scale);
    const colour =
      r.verdict === 'PASS'
        ? '#2e7d32'
        : r.verdict === 'MISS'
          ? '#c62828'
          : r.verdict === 'UNSTABLE'
            ? '#f9a825'
            : '#757575';
    parts.push(`<text x="10" y="${y + 16}">${esc(r.name)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="20" fill="${colour}"/>`);
    const lo = left + Math.min(1.2, r.spread.min) * scale;
    const hi = left + Math.min(1.2, r.spread.max) * scale;
    parts.push(`<line x1="${lo.toFixed(1)}" x2="${hi.toFixed(1)}" y1="${y + 12}" y2="${y + 12}" stroke="#000"/>`);
    parts.push(`<text x="${Math.max(left + w, hi) + 6}" y="${y + 16}">${r.value} ${r.verdict}</text>`);
    if (r.targetRatio !== undefined) {
      const tx = left + r.targetRatio * scale;
      parts.push(
        `<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${y}" y2="${y + 26}" stroke="#000" stroke-width="2"/>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

const started = Date.now();
const results = [];
const name = opt('--name', '');
if (name && !/^[a-z0-9-]+$/.test(name)) throw new Error('--name: lowercase letters, digits and dashes only');
const date = new Date().toISOString().slice(0, 10) + (name ? `-${name}` : '');
const dir = smoke ? mkdtempSync(join(tmpdir(), 'sb-bench-smoke-')) : join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const cpuProfDir = profile ? mkdtempSync(join(tmpdir(), 'sb-bench-prof-')) : undefined;
hello = {
  fastify: await startHello('fastify', 1),
  nest: await startHello('nest', 1),
  floor: await startHello('fastify-prod', 1),
};
service = await startService(serviceEnv, 1, { cpuProfDir });
try {
  ctx = await seed();
  // Warm-up: JIT, the pool, the cache entries of the keys, the hello worlds.
  const warm = smoke ? 1 : 3;
  for (const k of [ctx.plain, ctx.limited])
    await load(service.url, { path: '/v1/scopes', headers: ctx.bearer(k), duration: warm });
  await load(service.url, { path: '/v1/scopes', duration: warm });
  await load(service.url, { path: '/v1/profiles/me?reveal=true', headers: ctx.bearer(ctx.plain), duration: warm });
  for (const h of Object.values(hello)) await load(h.url, { path: '/hello', duration: warm });
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
  await Promise.all(Object.values(hello).map((h) => h.stop()));
}

const count = (v) => results.filter((r) => r.verdict === v).length;
const lines = [
  '| scenario | baseline | ratio (rounds min–max) | target | verdict | detail |',
  '|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.name} | ${r.baselineName} | ${r.value} | ${r.targetText} | ${r.verdict} | ${r.note} |`),
];
const table = lines.join('\n');
const checkLines = [
  `- security headers: ${checks.headers.sampled - checks.headers.failures.length}/${checks.headers.sampled} sampled answers carried all of ${Object.keys(REQUIRED_HEADERS).join(', ')}${checks.headers.failures.length ? `; missing: ${checks.headers.failures.join('; ')}` : ''}`,
  `- access log: ${checks.accessLog.lines} lines for ${checks.accessLog.requests} answered requests in ${checks.accessLog.loads} loads (one line per request, LOG_LEVEL info)${checks.accessLog.failures.length ? `; off: ${checks.accessLog.failures.join('; ')}` : ''}`,
];
const checksOk = !checks.headers.failures.length && !checks.accessLog.failures.length;
const summary = `${count('PASS')} PASS, ${count('MISS')} MISS, ${count('UNSTABLE')} UNSTABLE (no verdict), ${count('not run')} not run; checks ${checksOk ? 'passed' : 'FAILED'}; ${((Date.now() - started) / 1000).toFixed(0)} s`;
process.stdout.write(`\n${table}\n\n${checkLines.join('\n')}\n\n${summary}\n`);

const meta = {
  date: new Date().toISOString(),
  smoke,
  long,
  rounds,
  seconds,
  maxReruns,
  stability: STABILITY,
  connections,
  node: process.version,
  mode: 'production',
  database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
  loadAverage: (await import('node:os')).loadavg(),
};
writeFileSync(join(dir, `${date}.json`), JSON.stringify({ meta, checks, results }, null, 2) + '\n');
writeFileSync(join(dir, `${date}.svg`), svgChart(results));
let profileNote = '';
if (cpuProfDir) {
  const file = readdirSync(cpuProfDir).find((f) => f.endsWith('.cpuprofile'));
  if (file) {
    renameSync(join(cpuProfDir, file), join(dir, `${date}.cpuprofile`));
    const text = summarizeProfile(JSON.parse(readFileSync(join(dir, `${date}.cpuprofile`), 'utf8')));
    writeFileSync(join(dir, `${date}-profile.md`), `# CPU profile of the service, ${meta.date}\n\n${text}`);
    profileNote = `\nCPU profile of the service for the whole run: [${date}.cpuprofile](${date}.cpuprofile) (open in Chrome DevTools or speedscope.app), summary in [${date}-profile.md](${date}-profile.md).\n`;
  }
  rmSync(cpuProfDir, { recursive: true, force: true });
}
writeFileSync(
  join(dir, `${date}.md`),
  `# Benchmark ${meta.date}\n\n${rounds} interleaved round(s) × ${seconds} s per side (rows whose rounds disagree by more than ${STABILITY * 100}% re-run up to ${maxReruns} times with twice the rounds at half the length, then UNSTABLE), ${connections} connections, medians; production mode (LOG_LEVEL info), ${meta.database} PostgreSQL, Node ${process.version}; load average at the end ${meta.loadAverage.map((x) => x.toFixed(1)).join(' ')}. Ratios compare with a baseline measured in the same run; the value in brackets is the min–max of the rounds' own ratios.\n\n${table}\n\nChecked during the run:\n\n${checkLines.join('\n')}\n\n${summary}\n${profileNote}\n![ratios](${date}.svg)\n`,
);
process.stdout.write(`wrote ${join(dir, `${date}.json`)}, .md and .svg\n`);
if (smoke && (results.some((r) => r.verdict === undefined) || !checksOk)) process.exit(1);
