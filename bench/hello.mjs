// The framework floor for the benchmark: a hello world on bare Fastify (`fastify`) or on NestJS over Fastify
// (`nest`), started by bench/run.mjs on the service's core with the same Node. Both answer GET /hello with
// {"hello":"world"} and nothing else: no logging, no headers, no hooks. `fastify-prod` is bare Fastify with the
// service's per-request behaviours and answer (see below). Prints "ready <port>" once listening.
import 'reflect-metadata';

const [kind = 'fastify', portArg = '0'] = process.argv.slice(2);
const port = Number(portArg);

if (kind === 'fastify') {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world' }));
  await app.listen({ port, host: '127.0.0.1' });
  process.stdout.write(`ready ${app.server.address().port}\n`);
} else if (kind === 'nest') {
  const { Controller, Get, Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  class HelloController {
    hello() {
      return { hello: 'world' };
    }
  }
  Controller()(HelloController);
  Get('hello')(HelloController.prototype, 'hello', Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello'));
  class HelloModule {}
  Module({ controllers: [HelloController] })(HelloModule);
  const app = await NestFactory.create(HelloModule, new FastifyAdapter(), { logger: false });
  await app.listen(port, '127.0.0.1');
  process.stdout.write(`ready ${app.getHttpServer().address().port}\n`);
} else if (kind === 'fastify-prod') {
  // The floor for the public GET: bare Fastify with the service's own per-request behaviours, taken from its build
  // (dist/) and registered by the function boot-http registers them with (registerRequestPath: the security headers,
  // the credentials-in-URL check, the body parser, the access line with its metrics observation, the request context),
  // plus the request id and the service's logger options, batched to a file as the service's stdout is; answering
  // GET /v1/scopes with the same catalogue. No Nest, no guards.
  const { createRequire } = await import('node:module');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const require = createRequire(import.meta.url);
  const { default: Fastify } = await import('fastify');
  const pino = require('pino');
  const { loadConfig } = require('../dist/libs/core/src/config/load-config.js');
  const { loggerOptions } = require('../dist/libs/core/src/logging/logger-options.js');
  const { BatchedDestination } = require('../dist/libs/core/src/logging/log-output.js');
  const { registerRequestPath } = require('../dist/libs/core/src/http/request-path.js');
  const { requestIdFor } = require('../dist/libs/core/src/http/request-id.js');
  const { MetricsService } = require('../dist/libs/core/src/metrics/metrics.service.js');
  const { SCOPE_CATALOGUE } = require('../dist/libs/core/src/auth/scopes.js');
  const logFile = join(tmpdir(), `sb-bench-floor-${process.pid}.log`);
  const { rmSync } = await import('node:fs');
  const out = new BatchedDestination(pino.destination({ dest: logFile, sync: true }));
  process.on('exit', () => rmSync(logFile, { force: true })); // after the destination's own exit flush
  const [options] = loggerOptions(loadConfig({ NODE_ENV: 'production' }), out).pinoHttp;
  const app = Fastify({ logger: false, genReqId: (req) => requestIdFor(req, () => false) });
  registerRequestPath(app, pino(options, out), new MetricsService());
  const items = Object.entries(SCOPE_CATALOGUE).map(([scope, description]) => ({ scope, description }));
  const answer = () => ({ items, held: null, nextCursor: null });
  app.get('/hello', async () => answer());
  await app.listen({ port, host: '127.0.0.1' });
  process.stdout.write(`ready ${app.server.address().port}\n`);
} else {
  throw new Error(`unknown hello world: ${kind}`);
}
process.on('SIGTERM', () => process.exit(0));
