import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevCertificates } from '@app/certificates';
import {
  adaptSiteToNginx,
  localSiteValues,
  nginxVersion,
  renderMainConfig,
  renderSite,
  siteTemplate,
} from '../../apps/api/src/nginx-config';
import { freePortForTests, isListening, waitFor } from './ports';

export function nginxBinary(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', 'nginx']) {
    if (spawnSync(candidate, ['-v']).status === 0) return candidate;
  }
  return undefined;
}

export interface RunningNginx {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** A real nginx in the foreground with a config of the test's own (`http` block body), on a free port. */
export async function startNginx(binary: string, httpBody: (port: number) => string): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-nginx-'));
  for (const d of ['logs', 'tmp']) mkdirSync(join(dir, d));
  const port = await freePortForTests();
  const conf = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  ${httpBody(port)}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  return { port, dir, stop: await launch(binary, dir, [port]) };
}

/** `nginx -t`, then nginx in the foreground until every port listens; returns how to stop it (and remove its dir). */
async function launch(binary: string, dir: string, ports: number[]): Promise<() => Promise<void>> {
  const conf = join(dir, 'nginx.conf');
  const test = spawnSync(binary, ['-t', '-p', dir, '-c', conf], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t failed:\n${test.stderr}`);
  const child: ChildProcess = spawn(binary, ['-p', dir, '-c', conf], { stdio: 'ignore' });
  await waitFor(
    async () => ((await Promise.all(ports.map((p) => isListening(p)))).every(Boolean) ? true : undefined),
    10_000,
    50,
  );
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGQUIT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

export interface RunningTlsFront {
  httpsPort: number;
  httpPort: number;
  dir: string;
  /** The dev CA that signed nginx's certificate, for clients to trust. */
  ca: string;
  accessLog(): string;
  stop(): Promise<void>;
}

/**
 * The shipped site template (docker/nginx/templates) rendered exactly as `npm run start:tls` renders it, in front of
 * the given app addresses, with a dev CA and localhost certificate made for the test.
 */
export async function startTlsFront(
  binary: string,
  upstreams: string[],
  bodyLimitBytes = 102400,
  upstreamTls?: { ca: string; name: string },
): Promise<RunningTlsFront> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-nginx-tls-'));
  for (const d of ['logs', 'tmp']) mkdirSync(join(dir, d));
  const certs = await ensureDevCertificates(join(dir, 'data'));
  const httpsPort = await freePortForTests();
  const httpPort = await freePortForTests();
  const site = adaptSiteToNginx(
    renderSite(
      siteTemplate(),
      localSiteValues({ upstreams, httpsPort, httpPort, certs: certs.paths, bodyLimitBytes, dir, upstreamTls }),
    ),
    nginxVersion(binary)!,
  );
  writeFileSync(join(dir, 'nginx.conf'), renderMainConfig(dir, site));
  const stop = await launch(binary, dir, [httpsPort, httpPort]);
  return {
    httpsPort,
    httpPort,
    dir,
    ca: readFileSync(certs.paths.caCert, 'utf8'),
    accessLog: () =>
      existsSync(join(dir, 'logs', 'access.log')) ? readFileSync(join(dir, 'logs', 'access.log'), 'utf8') : '',
    stop,
  };
}
