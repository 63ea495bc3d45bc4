// The API key hot path against an unauthenticated GET of the same route, in one run with alternating rounds:
//   A  GET /v1/scopes                  (no credential: the baseline)
//   B  GET /v1/scopes + key            (a valid key, warm in the verification cache; same handler, same body shape)
//   C  GET /v1/scopes + junk key       (right shape, bad checksum: refused before any lookup)
//   D  GET /v1/scopes + revoked key    (its tombstone cached)
//   E  GET /v1/auth/introspect + key   (what nginx auth_request calls; reported, no target)
// and the database statements each costs (db_statements_total from /metrics, background jobs off).
// Usage: node bench/api-keys.mjs [--smoke] [--seconds 8] [--rounds 3]   (`npm run bench:keys` builds first)
import autocannon from 'autocannon';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, metric, pinSelf, ROOT, startService } from './lib.mjs';

pinSelf(0); // load generator on core 0, the service and its PostgreSQL on core 1

const smoke = process.argv.includes('--smoke');
const flag = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = flag('--seconds', smoke ? 2 : 8);
const rounds = flag('--rounds', smoke ? 1 : 3);
const connections = 16;

async function json(res) {
  const body = await res.json();
  if (res.status >= 300) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function run(url, path, headers, expectStatus, duration = seconds) {
  const result = await autocannon({ url: `${url}${path}`, headers, connections, duration, pipelining: 1 });
  const total = result.requests.total;
  const wrong = Object.entries(result.statusCodeStats ?? {}).filter(([code]) => Number(code) !== expectStatus);
  if (wrong.length || result.errors) throw new Error(`${path}: unexpected answers ${JSON.stringify(result.statusCodeStats)} errors=${result.errors}`);
  return { perSecond: result.requests.average, p99: result.latency.p99, total };
}

const service = await startService({ MAIL_DELIVERY_INTERVAL_MS: '0', API_KEY_JOBS_INTERVAL_MS: '0', IP_FAILURE_THRESHOLD: '10000' }, 1);
try {
  const user = { email: 'bench-keys@example.com', username: 'bench_keys', password: 'orbit velvet cactus lantern' };
  await fetch(`${service.url}/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
  const { token } = await json(await fetch(`${service.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) }));
  const create = (name) => fetch(`${service.url}/v1/api-keys`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ name, scopes: ['profiles:read'] }) }).then(json);
  const valid = await create('bench valid');
  const revoked = await create('bench revoked');
  await fetch(`${service.url}/v1/api-keys/${revoked.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  const junk = `sk_live_${'A'.repeat(12)}_${'b'.repeat(49)}`; // right shape, wrong checksum

  const scenarios = {
    A: { name: 'unauthenticated GET /v1/scopes', path: '/v1/scopes', headers: {}, status: 200 },
    B: { name: 'valid key, warm', path: '/v1/scopes', headers: { authorization: `Bearer ${valid.key}` }, status: 200 },
    C: { name: 'malformed-key flood', path: '/v1/scopes', headers: { authorization: `Bearer ${junk}` }, status: 401 },
    D: { name: 'revoked key', path: '/v1/scopes', headers: { authorization: `Bearer ${revoked.key}` }, status: 401 },
    E: { name: 'introspection (nginx auth_request)', path: '/v1/auth/introspect', headers: { authorization: `Bearer ${valid.key}` }, status: 204 },
  };
  // Warm up (JIT, the connection pool, the cache entries of B, D and E): a short run of each scenario.
  for (const s of Object.values(scenarios)) await run(service.url, s.path, s.headers, s.status, smoke ? 1 : 3);

  process.stdout.write(`api-key bench: ${rounds} round(s) × ${seconds} s per scenario, ${connections} connections, service ready in ${service.readyMs} ms\n`);
  const results = Object.fromEntries(Object.keys(scenarios).map((k) => [k, { perSecond: [], p99: [], statements: 0, requests: 0, lookups: 0 }]));
  for (let round = 0; round < rounds; round++) {
    for (const [id, s] of Object.entries(scenarios)) {
      const before = await metric(service.url, 'db_statements_total');
      const lookupsBefore = await metric(service.url, 'api_key_lookups_total');
      const r = await run(service.url, s.path, s.headers, s.status);
      await new Promise((res) => setTimeout(res, 1200)); // let the usage recorder flush this scenario's counts
      const after = await metric(service.url, 'db_statements_total');
      results[id].perSecond.push(r.perSecond);
      results[id].p99.push(r.p99);
      results[id].requests += r.total;
      results[id].statements += after - before;
      results[id].lookups += (await metric(service.url, 'api_key_lookups_total')) - lookupsBefore;
      process.stdout.write(`  round ${round + 1} ${id} ${s.name}: ${r.perSecond.toFixed(0)}/s p99 ${r.p99} ms, ${after - before} statements\n`);
    }
  }
  const base = median(results.A.perSecond);
  const rows = Object.entries(scenarios).map(([id, s]) => {
    const r = results[id];
    const perSecond = median(r.perSecond);
    return { id, scenario: s.name, perSecond, p99: median(r.p99), ratio: perSecond / base, statementsPerRequest: r.statements / r.requests, lookups: r.lookups, requests: r.requests };
  });
  const verdict = {
    warmRatio: rows[1].ratio >= 0.9,
    malformedRatio: rows[2].ratio >= 0.9,
    malformedZeroQueries: results.C.statements === 0 && results.C.lookups === 0,
    statementsPerAuthenticatedRequest: rows[1].statementsPerRequest <= 0.01,
  };
  process.stdout.write(`\n| scenario | req/s | p99 ms | ratio to A | DB statements/request | key lookups |\n|---|---|---|---|---|---|\n`);
  for (const r of rows) process.stdout.write(`| ${r.id} ${r.scenario} | ${r.perSecond.toFixed(0)} | ${r.p99} | ${r.ratio.toFixed(2)} | ${r.statementsPerRequest.toFixed(5)} | ${r.lookups} |\n`);
  process.stdout.write(`\ntargets: warm ≥ 0.90 ${verdict.warmRatio ? 'PASS' : 'MISS'}; malformed ≥ 0.90 ${verdict.malformedRatio ? 'PASS' : 'MISS'}; malformed 0 statements/lookups ${verdict.malformedZeroQueries ? 'PASS' : 'MISS'}; ≤ 0.01 statements per authenticated request ${verdict.statementsPerAuthenticatedRequest ? 'PASS' : 'MISS'}\n`);
  if (!smoke) {
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, `bench/results/api-keys-${new Date().toISOString().slice(0, 10)}.json`), JSON.stringify({ connections, seconds, rounds, rows, verdict }, null, 2) + '\n');
  }
  if (!verdict.malformedZeroQueries) process.exitCode = 1;
} finally {
  await service.stop();
}
