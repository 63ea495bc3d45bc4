import { DynamicModule, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import { AppConfig, loadConfig } from '../config/load-config';
import type { CoreRuntime } from '../core.module';
import { prepareDatabase, DatabaseTargets } from '../database/prepare-database';
import type { SchemaParts } from '../database/schema-parts';
import { logStream } from '../logging/log-output';
import { createFastifyAdapter } from '../http/fastify-adapter';
import { buildOpenApiDocument, serveSwaggerUi } from '../http/openapi';
import { registerRequestPath } from '../http/request-path';
import { MetricsService } from '../metrics/metrics.service';
import { SecretStore } from '../secrets/secret-store';
import { filePermissionProblems } from '../secrets/self-check';
import { Lifecycle } from '../system/lifecycle';
import { appTls, prepareSocketPath, restrictSocket } from './listener';
import { StartupError } from './startup-error';

export interface BootOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Where JSON logs go (default stdout, pretty-printed at a terminal in development). Tests capture them. */
  logDestination?: NodeJS.WritableStream;
  /** Build the app without a database or listening socket (OpenAPI generation). */
  offline?: boolean;
  version?: string;
  /** Test seams: a controllable clock and randomness source. */
  clock?: CoreRuntime['clock'];
  random?: CoreRuntime['random'];
}

export interface RunningApp {
  app: NestFastifyApplication;
  config: AppConfig;
  database?: DatabaseTargets;
  url: string;
  /** Drain and stop: readiness 503, finish in-flight requests (bounded), shutdown hooks, DB, embedded server. */
  close(): Promise<void>;
}

export type RootModuleFactory = (runtime: CoreRuntime) => DynamicModule;

/**
 * How long each start-up phase took (ms), logged at debug once listening. `modules` is the time from process start to
 * the boot call (loading the code); the others follow in order.
 */
class StartupPhases {
  readonly all: Record<string, number> = { modules: Math.round(process.uptime() * 1000) };
  private last = performance.now();

  mark(phase: string): void {
    const now = performance.now();
    this.all[phase] = Math.round(now - this.last);
    this.last = now;
  }
}

export { StartupError };

/** Boots the HTTP API: config → file checks → secrets → database + migrations → Nest on Fastify → listen. */
export async function bootHttpApp(
  root: RootModuleFactory,
  schema: SchemaParts,
  opts: BootOptions = {},
): Promise<RunningApp> {
  const phases = new StartupPhases();
  const config = loadConfig(opts.env ?? process.env, opts.cwd);
  const bootLog = pino(
    { level: config.env.LOG_LEVEL, base: { service: 'security-backend', pid: process.pid } },
    logStream(config.env.NODE_ENV, { destination: opts.logDestination }) ?? process.stdout,
  );
  phases.mark('config');

  const problems = filePermissionProblems(config, opts.cwd);
  for (const p of problems) {
    if (config.isProduction) throw new StartupError(`Refusing to start: ${p.path} ${p.reason}`);
    bootLog.warn({ path: p.path, mode: p.mode }, `${p.path} ${p.reason}; restrict it (chmod go-rwx)`);
  }

  const secrets = SecretStore.load(config, undefined, { embeddedDatabase: !config.env.DATABASE_URL && !opts.offline });
  bootLog.info({ secrets: secrets.describe() }, 'secrets loaded');
  phases.mark('secrets');
  const tls = appTls(config, secrets);

  let database: (DatabaseTargets & { applied: string[] }) | undefined;
  if (!opts.offline) {
    const started = Date.now();
    database = await prepareDatabase(config, secrets, schema, (line) => bootLog.debug(line));
    const placement = database.embedded?.placement;
    if (placement?.setAside)
      bootLog.warn(
        { setAside: placement.setAside },
        'an embedded PostgreSQL cluster left by a removed DATA_DIR was set aside; delete it once you are sure',
      );
    if (placement?.relocated)
      bootLog.info(
        { pgDir: database.embedded?.pgDir, reason: placement.relocated.reason },
        'embedded PostgreSQL cluster kept outside DATA_DIR',
      );
    bootLog.info(
      {
        embedded: !!database.embedded,
        pgDir: database.embedded?.pgDir,
        port: database.embedded?.port,
        migrationsApplied: database.applied,
        ms: Date.now() - started,
      },
      'database ready',
    );
    phases.mark('database');
  }

  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      root({
        config,
        secrets,
        database: { appUrl: database?.appUrl ?? 'postgres://offline@127.0.0.1:1/offline' },
        schema,
        offline: opts.offline,
        logDestination: opts.logDestination,
        clock: opts.clock,
        random: opts.random,
      }),
      createFastifyAdapter(config, tls),
      { bufferLogs: true, abortOnError: false, bodyParser: false },
    );
  } catch (err) {
    await database?.embedded?.stop();
    throw err;
  }
  phases.mark('nest');
  app.useLogger(app.get(Logger));
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });

  const fastify = app.getHttpAdapter().getInstance();
  registerRequestPath(fastify, (await app.resolve(PinoLogger)).logger, app.get(MetricsService));

  // The document is only needed to serve Swagger UI: with docs off (production default) start-up skips building it.
  if (config.docsEnabled) serveSwaggerUi(app, buildOpenApiDocument(app, opts.version ?? '0.1.0'));
  phases.mark('http');

  if (opts.offline) {
    await app.init();
    return { app, config, url: '', close: () => app.close() };
  }

  const socketPath = config.env.SOCKET_PATH;
  let url: string;
  if (socketPath) {
    await prepareSocketPath(socketPath);
    await app.listen(socketPath);
    restrictSocket(socketPath, config.env.SOCKET_MODE, config.env.SOCKET_GROUP);
    url = `${tls ? 'https' : 'http'}+unix://${socketPath}`;
  } else {
    await app.listen(config.env.PORT, config.env.HOST);
    const address = fastify.server.address();
    const port = typeof address === 'object' && address ? address.port : config.env.PORT;
    const host = config.env.HOST.includes(':') ? `[${config.env.HOST}]` : config.env.HOST;
    url = `${tls ? 'https' : 'http'}://${host}:${port}`;
    config.listeningOn(port);
  }
  phases.mark('listen');
  bootLog.debug({ phasesMs: phases.all }, 'startup phases');
  bootLog.info(
    {
      url,
      node: process.version,
      tls: !!tls,
      publicUrl: config.publicUrl,
      docs: config.docsEnabled ? `${url}/docs` : undefined,
    },
    'listening',
  );
  if (config.isProduction && !config.env.PUBLIC_URL && !config.env.PUBLIC_BASE_URL)
    bootLog.warn({ publicUrl: config.publicUrl }, 'PUBLIC_URL is unset: mail links name the bound address');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      app.get(Lifecycle).startDraining();
      const timeout = setTimeout(() => fastify.server.closeAllConnections?.(), config.env.SHUTDOWN_TIMEOUT_MS);
      timeout.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(timeout);
        await database?.embedded?.stop();
        bootLog.info('stopped');
      }
    })());
  return { app, config, database, url, close };
}
