import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevCertificates } from '@app/certificates';
import { envDocs, Environment, SECRET_DEFINITIONS } from '@app/core';
import {
  adaptSiteToNginx,
  nginxVersion,
  renderMainConfig,
  renderSite,
  siteTemplate,
} from '../../apps/api/src/nginx-config';
import { appServiceNames, ComposeService, containerEnv, loadCompose } from '../support/compose';
import { nginxBinary } from '../support/nginx';
import { ROOT } from '../support/process';
import { requireOrSkip } from '../support/test-env';

/**
 * There is no Docker engine here, so the Docker, compose, systemd and certbot files are checked statically: their
 * paths and commands against the repository, the variables against the configuration schema, the secrets rules, and
 * the nginx template with compose's values through a real `nginx -t`.
 */
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const knownVariables = new Set([...envDocs(Environment).keys(), ...SECRET_DEFINITIONS.map((d) => `${d.name}_FILE`)]);
const secretNames = new Set(SECRET_DEFINITIONS.map((d) => d.name));

interface Instruction {
  op: string;
  args: string;
}

function dockerfile(): Instruction[][] {
  const lines = read('docker/Dockerfile')
    .replace(/\\\n\s*/g, ' ')
    .split('\n');
  const stages: Instruction[][] = [];
  for (const line of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const [op, ...rest] = line.split(/\s+/);
    const ins = { op: op.toUpperCase(), args: rest.join(' ') };
    if (ins.op === 'FROM') stages.push([]);
    if (stages.length) stages[stages.length - 1].push(ins);
  }
  return stages;
}

const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const DIGEST = /@sha256:[0-9a-f]{64}$/;

describe('docker/Dockerfile', () => {
  const stages = dockerfile();
  const final = stages[stages.length - 1];
  const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(read('docker/Dockerfile'))?.[1] ?? '';

  it('is multi-stage from the pinned Node LTS image (by digest), and the final stage installs production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s[0].args).toMatch(/^\$\{NODE_IMAGE\} AS \w+$/);
    // The same release as the runtime package.json pins for development and CI, an even (LTS) major within engines.
    const runtime = pkg.devDependencies.node;
    expect(nodeImage).toMatch(DIGEST);
    expect(nodeImage.split('@')[0]).toBe(`node:${runtime}-bookworm-slim`);
    expect(Number(runtime.split('.')[0]) % 2).toBe(0);
    const [min] = /\d+\.\d+\.\d+/.exec(pkg.engines.node)!;
    expect(runtime.localeCompare(min, undefined, { numeric: true })).toBeGreaterThanOrEqual(0);
    expect(read('docker/Dockerfile').split('\n')[0]).toMatch(/^# syntax=docker\/dockerfile:1@sha256:[0-9a-f]{64}$/);
    expect(
      final
        .filter((i) => i.op === 'RUN')
        .map((i) => i.args)
        .join('\n'),
    ).toContain('npm ci --omit=dev');
    expect(final.some((i) => i.op === 'COPY' && i.args.startsWith('--from=build /app/dist'))).toBe(true);
  });

  it('runs as a non-root user, has a health check, and starts the built API', () => {
    const user = final.filter((i) => i.op === 'USER').pop();
    expect(user?.args).toBe('node');
    const health = final.find((i) => i.op === 'HEALTHCHECK')!;
    const probe = /CMD (\[.*\])$/.exec(health.args)![1];
    expect(existsSync(join(ROOT, (JSON.parse(probe) as string[]).pop()!))).toBe(true);
    const cmd = JSON.parse(final.find((i) => i.op === 'CMD')!.args) as string[];
    expect(cmd[0]).toBe('node');
    expect(existsSync(join(ROOT, cmd[cmd.length - 1]))).toBe(true); // dist/ is built by npm test
  });

  it('copies only files that exist, and its ignore file lets them through', () => {
    const ignore = read('docker/Dockerfile.dockerignore');
    for (const stage of stages) {
      for (const copy of stage.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
        const sources = copy.args.split(/\s+/).slice(0, -1);
        for (const src of sources) {
          expect(existsSync(join(ROOT, src))).toBe(true);
          expect(ignore).toContain(`!${src.replace(/^\.\//, '')}${['apps', 'libs'].includes(src) ? '/' : ''}`);
        }
      }
    }
    expect(read('docker/Dockerfile')).not.toMatch(/^ADD\s+https?:/im);
    expect(read('docker/Dockerfile')).not.toMatch(/^ENV\s+.*(PASSWORD|SECRET|KEYS|PEPPER)/im);
  });
});

describe('docker/compose.yaml', () => {
  const compose = loadCompose();
  const appNames = appServiceNames(compose);
  const apps = appNames.map((n) => compose.services[n]);
  /** Public material (a CA certificate) may be world-readable; everything else mounted as a secret is 0400. */
  const PUBLIC_SECRETS = new Set(['internal_ca']);

  it('has PostgreSQL, Redis, two app instances, nginx and the mail profile’s Mailpit, each hardened, limited and health-checked', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app1', 'app2', 'mailpit', 'nginx', 'postgres', 'redis']);
    expect(appNames).toEqual(['app1', 'app2']);
    for (const [name, s] of Object.entries(compose.services)) {
      expect([name, (s.healthcheck?.test?.length ?? 0) > 1]).toEqual([name, true]);
      expect({ name, ro: s.read_only, nnp: s.security_opt, drop: s.cap_drop }).toEqual({
        name,
        ro: true,
        nnp: ['no-new-privileges:true'],
        drop: ['ALL'],
      });
      expect(s.mem_limit).toMatch(/^\d+[mg]$/);
      expect(s.pids_limit).toBeGreaterThan(0);
      expect(s.cpus).toBeGreaterThan(0);
      // Only nginx gets capabilities back: binding 80/443 and starting its workers as the nginx user.
      if (s.cap_add)
        expect([name, s.cap_add.every((c) => ['NET_BIND_SERVICE', 'SETUID', 'SETGID', 'CHOWN'].includes(c))]).toEqual([
          'nginx',
          true,
        ]);
    }
    for (const app of apps) expect(app.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
    expect(compose.services.mailpit.profiles).toEqual(['mail']);
  });

  it('pins every image by digest, with the tag beside it', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (appNames.includes(name)) continue; // built from docker/Dockerfile, whose base is pinned (above)
      expect(s.image).toMatch(/^[a-z0-9/._-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$/);
    }
  });

  it('starts in order: the apps once PostgreSQL and Redis are healthy, nginx once the apps are', () => {
    for (const app of apps)
      expect(app.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    expect(compose.services.nginx.depends_on).toEqual(
      Object.fromEntries(appNames.map((n) => [n, { condition: 'service_healthy' }])),
    );
  });

  it('networks: the apps have a way out (egress); PostgreSQL and Redis are on the internal network only', () => {
    const nets = (s: ComposeService) => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {}));
    for (const app of apps) expect(nets(app).some((n) => !compose.networks[n]?.internal)).toBe(true);
    for (const name of ['postgres', 'redis']) {
      expect(nets(compose.services[name]).every((n) => compose.networks[n]?.internal)).toBe(true);
      expect(compose.services[name].ports).toBeUndefined();
    }
  });

  it('Redis requires the password from its secret file and keeps protected mode on', () => {
    const command = ([] as string[]).concat(compose.services.redis.command ?? []).join(' ');
    expect(command).toContain('--protected-mode yes');
    expect(command).not.toContain('--protected-mode no');
    expect(command).toMatch(/requirepass %s.*cat \/run\/secrets\/redis_password/);
    for (const app of apps) expect(app.environment?.REDIS_PASSWORD_FILE).toBe('/run/secrets/redis_password');
  });

  it('supplies every setting production requires to each app service (the boot test proves it by starting them)', () => {
    // Secrets production refuses to generate, mail (SMTP_URL is required in production), the database passwords the
    // URLs leave out, and the key of the app's own TLS listener.
    const required = [
      ...SECRET_DEFINITIONS.filter((d) => d.generate && !d.embeddedDatabaseOnly).map((d) => d.name),
      'SMTP_URL',
      'DATABASE_PASSWORD',
      'MIGRATIONS_DATABASE_PASSWORD',
      'REDIS_PASSWORD',
      'APP_TLS_KEY',
    ];
    for (const [i, app] of apps.entries()) {
      const env = app.environment ?? {};
      const missing = required.filter((n) => env[n] === undefined && env[`${n}_FILE`] === undefined);
      expect({ service: appNames[i], missing }).toEqual({ service: appNames[i], missing: [] });
      for (const key of [
        'NODE_ENV',
        'DATABASE_URL',
        'MIGRATIONS_DATABASE_URL',
        'REDIS_URL',
        'PUBLIC_URL',
        'APP_TLS_CERT_FILE',
      ])
        expect(env[key]).toBeDefined();
      expect(env.NODE_ENV).toBe('production');
    }
  });

  it('keeps secrets out of environment: every secret is a NAME_FILE pointing at a mounted secret with mode 0400', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const mounted = new Map((service.secrets ?? []).map((s) => [`/run/secrets/${s.target}`, s]));
      for (const s of service.secrets ?? []) {
        expect([0o400, 400, ...(PUBLIC_SECRETS.has(s.source) ? [0o444, 444] : [])]).toContain(s.mode);
        expect(compose.secrets[s.source]).toBeDefined();
      }
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        expect(secretNames.has(key)).toBe(false);
        expect(`${key}=${String(value)}`).not.toMatch(/:\/\/[^/@\s]+:[^/@\s]+@/); // no password inside a URL
        if (key.endsWith('_FILE') || String(value).startsWith('/run/secrets/'))
          expect(mounted.has(String(value))).toBe(true);
        if (appNames.includes(name)) expect(knownVariables.has(key)).toBe(true); // typos would be ignored silently
      }
    }
    for (const s of Object.values(compose.secrets)) expect(s.file).toMatch(/^\.\/secrets\//);
    expect(read('.gitignore')).toContain('docker/secrets/*');
  });

  it('trusts exactly nginx’s fixed address, and mounts files that exist', () => {
    const nginx = compose.services.nginx;
    const address = (nginx.networks as Record<string, { ipv4_address?: string }>).backend.ipv4_address;
    for (const app of apps) expect(app.environment?.TRUSTED_PROXIES).toBe(address);
    for (const s of Object.values(compose.services)) {
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0];
        if (src.startsWith('./')) expect(existsSync(join(ROOT, 'docker', src))).toBe(true);
      }
    }
  });

  it('fills every placeholder of the nginx template, and nginx accepts the result without a warning', async () => {
    const binary = nginxBinary();
    const env = containerEnv(compose.services.nginx);
    const dir = mkdtempSync(join(tmpdir(), 'sb-compose-nginx-'));
    const certs = await ensureDevCertificates(join(dir, 'data'));
    const values = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('SB_'))) as Record<
      string,
      string
    >;
    const template = readdirSync(join(ROOT, 'docker', 'nginx', 'templates'));
    expect(template).toEqual(['security-backend.conf.template']);
    // The compose values, with test files for the certificate paths and loopback for the listeners and upstreams.
    const rendered = renderSite(siteTemplate(), {
      ...values,
      SB_TLS_CERT: certs.paths.cert,
      SB_TLS_KEY: certs.paths.key,
      SB_UPSTREAM_CA: certs.paths.caCert,
      SB_ERROR_PAGES: join(ROOT, 'docker', 'nginx', 'errors'),
      SB_HTTPS_LISTEN: '127.0.0.1:18443',
      SB_HTTP_LISTEN: '127.0.0.1:18080',
      SB_HEALTH_LISTEN: `unix:${join(dir, 'health.sock')}`,
      SB_UPSTREAM_SERVERS: values.SB_UPSTREAM_SERVERS.replace(/app(\d)/g, '127.0.0.$1'),
    } as never);
    expect(rendered).not.toMatch(/\$\{SB_[A-Z_]+\}/);
    expect(rendered).toContain('http2 on;');
    expect(rendered).not.toMatch(/listen [^;]*http2/);
    expect(rendered).toMatch(/server 127\.0\.0\.1:3000 resolve /);
    if (!requireOrSkip(binary !== undefined, 'nginx')) return;
    const site = adaptSiteToNginx(rendered, nginxVersion(binary!)!);
    for (const d of ['logs', 'tmp']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'nginx.conf'), renderMainConfig(dir, site));
    const test = spawnSync(binary!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(test.stderr).toContain('test is successful');
    expect(test.stderr).not.toMatch(/\[(warn|emerg|alert)\]/);
    // The problem+json bodies nginx serves for its own errors.
    for (const file of readdirSync(join(ROOT, 'docker', 'nginx', 'errors'))) {
      const body = JSON.parse(read(`docker/nginx/errors/${file}`)) as { status: number; code: string };
      expect(body.status).toBe(Number(file.split('.')[0]));
      expect(body.code).toMatch(/^[A-Z_]+$/);
    }
  });
});

describe('docker/systemd, docker/certbot and the TLS helper', () => {
  it('the unit runs the built API on the pinned Node, as a dedicated user, on a 0660 socket, with the hardening options', () => {
    const unit = read('docker/systemd/security-backend.service');
    for (const line of [
      'NoNewPrivileges=true',
      'ProtectSystem=strict',
      'PrivateTmp=true',
      'ProtectHome=true',
      'UMask=0077',
      'StateDirectoryMode=0700',
      'LogsDirectoryMode=0700',
      'CapabilityBoundingSet=',
      'RuntimeDirectory=security-backend',
      'SupplementaryGroups=security-backend-web',
      'Environment=SOCKET_PATH=/run/security-backend/http.sock SOCKET_MODE=0660 SOCKET_GROUP=security-backend-web',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(unit).toMatch(/^User=security-backend$/m);
    expect(unit).not.toMatch(/^Environment=.*\bHOST=/m); // no TCP listener in this layout
    const exec = /^ExecStart=(\S+) .*?(dist\/\S+)$/m.exec(unit)!;
    expect(exec[1]).toBe('/opt/security-backend/node_modules/.bin/node');
    expect(existsSync(join(ROOT, exec[2]))).toBe(true);
  });

  it.each(['docker/certbot/deploy-hook.sh', 'docker/certbot/first-issuance.sh', 'docker/make-internal-tls.sh'])(
    '%s is valid POSIX sh (and passes shellcheck where installed)',
    (file) => {
      const path = join(ROOT, file);
      expect(spawnSync('sh', ['-n', path]).status).toBe(0);
      const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
      if (!requireOrSkip(shellcheck, 'shellcheck')) return;
      const r = spawnSync('shellcheck', ['-s', 'sh', path], { encoding: 'utf8' });
      expect(r.stdout).toBe('');
      expect(r.status).toBe(0);
    },
  );

  it('the deploy hook runs the built CLI (never `npm run cli`, which rebuilds dist/) with the service’s settings', () => {
    const hook = read('docker/certbot/deploy-hook.sh');
    expect(hook).not.toMatch(/^[^#]*npm run/m);
    expect(hook).toContain('dist/apps/cli/src/main.js');
    expect(hook).toContain('--env-file=$SB_ENV_FILE');
    expect(hook).toContain('/etc/security-backend/env');
  });
});
