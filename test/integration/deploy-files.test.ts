import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureDevCertificates } from '@app/certificates';
import { envDocs, Environment, SECRET_DEFINITIONS } from '@app/core';
import { renderMainConfig, renderSite, siteTemplate } from '../../apps/api/src/nginx-config';
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

describe('docker/Dockerfile', () => {
  const stages = dockerfile();
  const final = stages[stages.length - 1];

  it('is multi-stage from a pinned Node 20 image, and the final stage installs production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s[0].args).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim AS \w+$/);
    expect(read('docker/Dockerfile')).toMatch(/^ARG NODE_VERSION=20\.(19|[2-9]\d)\.\d+$/m);
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
    expect(final.some((i) => i.op === 'HEALTHCHECK' && i.args.includes('/health/ready'))).toBe(true);
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
  const compose = parse(read('docker/compose.yaml'), { merge: true }) as {
    services: Record<
      string,
      {
        environment?: Record<string, string>;
        secrets?: { source: string; target: string; mode: number; uid: string }[];
        volumes?: string[];
        networks?: Record<string, { ipv4_address?: string }> | string[];
        build?: { context: string; dockerfile: string };
        healthcheck?: unknown;
        read_only?: boolean;
      }
    >;
    secrets: Record<string, { file: string }>;
  };
  const apps = ['app1', 'app2'].map((n) => compose.services[n]);

  it('has PostgreSQL, Redis, two app instances and nginx, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app1', 'app2', 'nginx', 'postgres', 'redis']);
    // The app services use the image's HEALTHCHECK (checked above); the others declare one.
    for (const name of ['postgres', 'redis', 'nginx']) expect(compose.services[name].healthcheck).toBeDefined();
    for (const app of apps) {
      expect(app.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
      expect(app.read_only).toBe(true);
    }
  });

  it('keeps secrets out of environment: every secret is a NAME_FILE pointing at a mounted secret with mode 0400', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const mounted = new Map((service.secrets ?? []).map((s) => [`/run/secrets/${s.target}`, s]));
      for (const s of service.secrets ?? []) {
        expect([0o400, 400]).toContain(s.mode);
        expect(compose.secrets[s.source]).toBeDefined();
      }
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        expect(secretNames.has(key)).toBe(false);
        expect(`${key}=${String(value)}`).not.toMatch(/:\/\/[^/@\s]+:[^/@\s]+@/); // no password inside a URL
        if (key.endsWith('_FILE')) expect(mounted.has(String(value))).toBe(true);
        if (['app1', 'app2'].includes(name)) expect(knownVariables.has(key)).toBe(true); // typos would be ignored silently
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

  it('fills every placeholder of the nginx template, and nginx accepts the result', async () => {
    const binary = nginxBinary();
    const env = compose.services.nginx.environment!;
    const dir = mkdtempSync(join(tmpdir(), 'sb-compose-nginx-'));
    const certs = await ensureDevCertificates(join(dir, 'data'));
    const values = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('SB_'))) as Record<
      string,
      string
    >;
    // The compose values, with test files for the certificate paths and a loopback port for the listeners.
    const site = renderSite(siteTemplate(), {
      ...values,
      SB_TLS_CERT: certs.paths.cert,
      SB_TLS_KEY: certs.paths.key,
      SB_TLS_TRUSTED: certs.paths.caCert,
      SB_HTTPS_LISTEN: '127.0.0.1:18443',
      SB_HTTP_LISTEN: '127.0.0.1:18080',
      SB_UPSTREAM_SERVERS: values.SB_UPSTREAM_SERVERS.replace(/app(\d)/g, '127.0.0.$1'),
    } as never);
    expect(site).not.toMatch(/\$\{SB_[A-Z_]+\}/);
    if (!requireOrSkip(binary !== undefined, 'nginx')) return;
    for (const d of ['logs', 'tmp']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'nginx.conf'), renderMainConfig(dir, site));
    const test = spawnSync(binary!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(test.stderr).toContain('test is successful');
  });
});

describe('docker/systemd and docker/certbot', () => {
  it('the unit runs the built API as a dedicated user with the hardening options', () => {
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
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(unit).toMatch(/^User=security-backend$/m);
    const exec = /^ExecStart=(\S+) .*?(dist\/\S+)$/m.exec(unit)!;
    expect(existsSync(join(ROOT, exec[2]))).toBe(true);
  });

  it('the deploy hook is valid POSIX sh (and passes shellcheck where installed)', () => {
    const path = join(ROOT, 'docker/certbot/deploy-hook.sh');
    expect(spawnSync('sh', ['-n', path]).status).toBe(0);
    const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
    if (!requireOrSkip(shellcheck, 'shellcheck')) return;
    const r = spawnSync('shellcheck', ['-s', 'sh', path], { encoding: 'utf8' });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
