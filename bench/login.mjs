// Login throughput (Argon2id defaults) against a bare Argon2id script on the same machine, alternating A/B runs.
// Usage: node bench/login.mjs [--smoke]   (run `npm run build` first; `npm run bench` does both)
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, pinned, pinSelf, ROOT, startService } from './lib.mjs';

pinSelf(0); // the load generator on core 0; the service (with its PostgreSQL) and the bare baseline on core 1

const smoke = process.argv.includes('--smoke');
const seconds = smoke ? 2 : 10;
const rounds = smoke ? 1 : 3;
const connections = 8;
const threadpool = '4';

function bare() {
  const [cmd, args] = pinned(process.execPath, [join(ROOT, 'bench/argon2-bare.mjs'), String(seconds), threadpool], 1);
  const out = execFileSync(cmd, args, { env: { ...process.env, UV_THREADPOOL_SIZE: threadpool } }).toString();
  return JSON.parse(out.trim().split('\n').pop()).perSecond;
}

async function login(url, users) {
  let next = 0;
  const result = await autocannon({
    url: `${url}/v1/auth/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Many people logging in, not one account hammered (that path is the lockout's, tested elsewhere).
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(users[next++ % users.length]) }) }],
    connections,
    duration: seconds,
  });
  const non2xx = result.non2xx;
  if (non2xx) process.stdout.write(`status codes: ${JSON.stringify(result.statusCodeStats)} `);
  return { perSecond: result.requests.average, p99: result.latency.p99, non2xx };
}

const service = await startService({ UV_THREADPOOL_SIZE: threadpool, IP_FAILURE_THRESHOLD: '10000' }, 1);
try {
  const users = [];
  for (let i = 0; i < 32; i++) {
    const user = { email: `bench${i}@example.com`, username: `bench${i}`, password: 'orbit velvet cactus lantern' };
    const reg = await fetch(`${service.url}/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    if (reg.status !== 202) throw new Error(`register: ${reg.status}`);
    users.push({ email: user.email, password: user.password });
  }
  process.stdout.write(`login bench: ${rounds} round(s) of ${seconds} s, ${connections} connections, UV_THREADPOOL_SIZE=${threadpool}, service ready in ${service.readyMs} ms\n`);
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    process.stdout.write(`  round ${i + 1}: bare Argon2id… `);
    a.push(bare());
    process.stdout.write(`${a[i].toFixed(1)}/s; login over HTTP… `);
    const l = await login(service.url, users);
    if (l.non2xx) throw new Error(`${l.non2xx} logins failed`);
    b.push(l.perSecond);
    process.stdout.write(`${l.perSecond.toFixed(1)}/s (p99 ${l.p99} ms)\n`);
  }
  const ratio = median(b) / median(a);
  const row = { scenario: 'login (Argon2id defaults) vs bare Argon2id verify', baselinePerSecond: median(a), perSecond: median(b), ratio, target: 0.9, verdict: ratio >= 0.9 ? 'PASS' : 'MISS', smoke };
  process.stdout.write(`\n| scenario | baseline/s | login/s | ratio | target | verdict |\n|---|---|---|---|---|---|\n| ${row.scenario} | ${row.baselinePerSecond.toFixed(1)} | ${row.perSecond.toFixed(1)} | ${ratio.toFixed(2)} | ≥ 0.90 | ${row.verdict} |\n`);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  if (!smoke) writeFileSync(join(ROOT, `bench/results/login-${new Date().toISOString().slice(0, 10)}.json`), JSON.stringify(row, null, 2) + '\n');
} finally {
  await service.stop();
}
