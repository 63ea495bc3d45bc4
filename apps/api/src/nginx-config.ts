import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Values for `docker/nginx/templates/security-backend.conf.template` (the same names the Docker image's envsubst fills). */
export interface NginxSiteValues {
  /** `zone security_backend 64k;` (shared upstream state; `resolve` needs it). */
  SB_UPSTREAM_ZONE: string;
  SB_UPSTREAM_SERVERS: string;
  /** `http` (loopback or Unix socket) or `https` (the app's own TLS listener, verified against SB_UPSTREAM_CA). */
  SB_UPSTREAM_SCHEME: string;
  SB_UPSTREAM_TLS_NAME: string;
  SB_UPSTREAM_CA: string;
  SB_HTTPS_LISTEN: string;
  SB_HTTP_LISTEN: string;
  /** nginx's own health endpoint (`/nginx-health`): a loopback address or `unix:/path`. */
  SB_HEALTH_LISTEN: string;
  SB_SERVER_NAME: string;
  SB_TLS_CERT: string;
  SB_TLS_KEY: string;
  /** `''` when HTTPS is on 443, else `:8443` and the like (for redirects). */
  SB_HTTPS_PORT_SUFFIX: string;
  SB_BODY_LIMIT: string;
  SB_RESOLVER: string;
  /** Webroot for ACME HTTP-01 challenges (certbot --webroot -w <this>). */
  SB_ACME_ROOT: string;
  /** Directory of nginx's problem+json error bodies (docker/nginx/errors). */
  SB_ERROR_PAGES: string;
}

/** The repository root (where package.json is), from the source tree or from dist/. */
export function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'docker'))) return dir;
    if (dirname(dir) === dir) throw new Error(`repository root not found above ${from}`);
  }
}

export function siteTemplate(): string {
  return readFileSync(join(repoRoot(), 'docker', 'nginx', 'templates', 'security-backend.conf.template'), 'utf8');
}

/** Fills every `${SB_…}` placeholder; a placeholder without a value is an error, never an empty directive. */
export function renderSite(template: string, values: NginxSiteValues): string {
  const table = values as unknown as Record<string, string>;
  return template.replace(/\$\{(SB_[A-Z_]+)\}/g, (_m, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(table, name)) throw new Error(`nginx template: no value for \${${name}}`);
    return table[name];
  });
}

/**
 * The site on loopback with the development certificates, as `npm run start:tls` runs it (the tests render the same
 * values): HTTPS and HTTP on 127.0.0.1, server name localhost, files under `dir`. The app is reached over plain HTTP
 * on loopback or a Unix socket (`unix:/path` upstreams), or over TLS with `upstreamTls`.
 */
export function localSiteValues(o: {
  upstreams: string[];
  httpsPort: number;
  httpPort: number;
  certs: { cert: string; key: string; caCert: string };
  bodyLimitBytes: number;
  dir: string;
  upstreamTls?: { ca: string; name: string };
}): NginxSiteValues {
  return {
    SB_UPSTREAM_ZONE: 'zone security_backend 64k;',
    SB_UPSTREAM_SERVERS: upstreamServers(o.upstreams),
    SB_UPSTREAM_SCHEME: o.upstreamTls ? 'https' : 'http',
    SB_UPSTREAM_TLS_NAME: o.upstreamTls?.name ?? 'localhost',
    SB_UPSTREAM_CA: o.upstreamTls?.ca ?? o.certs.caCert,
    SB_HTTPS_LISTEN: `127.0.0.1:${o.httpsPort}`,
    SB_HTTP_LISTEN: `127.0.0.1:${o.httpPort}`,
    SB_HEALTH_LISTEN: `unix:${join(o.dir, 'nginx-health.sock')}`,
    SB_SERVER_NAME: 'localhost',
    SB_TLS_CERT: o.certs.cert,
    SB_TLS_KEY: o.certs.key,
    SB_HTTPS_PORT_SUFFIX: o.httpsPort === 443 ? '' : `:${o.httpsPort}`,
    SB_BODY_LIMIT: nginxSize(o.bodyLimitBytes),
    SB_RESOLVER: '127.0.0.1',
    SB_ACME_ROOT: join(o.dir, 'acme'),
    SB_ERROR_PAGES: errorPagesDir(),
  };
}

export function errorPagesDir(): string {
  return join(repoRoot(), 'docker', 'nginx', 'errors');
}

export function upstreamServers(addresses: string[]): string {
  return addresses.map((a) => `server ${a} max_fails=3 fail_timeout=10s;`).join('\n    ');
}

/** `nginx version: nginx/1.22.1` → [1, 22, 1]; undefined when the binary does not answer. */
export function nginxVersion(binary: string): [number, number, number] | undefined {
  const r = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  const m = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(`${r.stderr}${r.stdout}`);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

const atLeast = (v: [number, number, number], min: [number, number, number]) =>
  v[0] !== min[0] ? v[0] > min[0] : v[1] !== min[1] ? v[1] > min[1] : v[2] >= min[2];

/**
 * The template is written for current nginx (the compose image, 1.28). An older local nginx (Debian 12 ships 1.22)
 * gets the equivalent spelling: before 1.25.1 HTTP/2 is a `listen … http2` parameter instead of `http2 on;`, and
 * before 1.27.3 open-source nginx cannot re-resolve upstream names (`resolve`), so names are resolved at start and a
 * recreated upstream needs `nginx -s reload`. Everything else is the same text.
 */
export function adaptSiteToNginx(site: string, version: [number, number, number]): string {
  let out = site;
  if (!atLeast(version, [1, 25, 1])) {
    out = out.replace(/^(\s*)http2 on;\n/gm, '').replace(/^(\s*listen \S+ ssl)\b/gm, '$1 http2');
  }
  if (!atLeast(version, [1, 27, 3])) {
    out = out.replace(/(\bserver [^;{}]*?) resolve(?=[ ;])/g, '$1');
  }
  return out;
}

/** A main nginx.conf for an unprivileged nginx whose files all live under `prefix` (start:tls and the tests). */
export function renderMainConfig(
  prefix: string,
  site: string,
  opts: { daemon?: boolean; accessLog?: boolean } = {},
): string {
  return `# Generated by security-backend from docker/nginx/templates/security-backend.conf.template; do not edit.
worker_processes 1;
daemon ${opts.daemon ? 'on' : 'off'};
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  default_type application/octet-stream;
  log_format main escape=json '{"time":"$time_iso8601","requestId":"$request_id","remote":"$remote_addr","request":"$request_method $uri","status":$status,"bytes":$body_bytes_sent,"upstream":"$upstream_addr","upstreamStatus":"$upstream_status","duration":$request_time,"tls":"$ssl_protocol $ssl_cipher"}';
  access_log ${opts.accessLog === false ? 'off' : `${prefix}/logs/access.log main`};
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
${site}
}
`;
}

/** `102400` → `100k` (nginx size syntax), so nginx refuses exactly what the app would. */
export function nginxSize(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}k` : String(bytes);
}
