// The framework floor for the benchmark: a hello world on bare Fastify (`fastify`) or on NestJS over Fastify
// (`nest`), started by bench/run.mjs on the service's core with the same Node. Both answer GET /hello with
// {"hello":"world"} and nothing else: no logging, no headers, no hooks. Prints "ready <port>" once listening.
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
} else {
  throw new Error(`unknown hello world: ${kind}`);
}
process.on('SIGTERM', () => process.exit(0));
