import { Writable } from 'node:stream';
import pinoHttp, { Options } from 'pino-http';
import { QueryFailedError } from 'typeorm';
import { loadConfig } from '../config/load-config';
import { loggerOptions, safeErrorSerializer } from './logger-options';

describe('safeErrorSerializer', () => {
  it('drops the SQL, its parameters and the driver error of a failed query', () => {
    const err = new QueryFailedError(
      'SELECT * FROM users WHERE email = $1',
      ['victim@example.com', '$argon2id$secret'],
      Object.assign(new Error('boom'), { code: '22021' }),
    );
    const out = JSON.stringify(safeErrorSerializer(err));
    expect(out).not.toMatch(/victim@example.com|argon2id|SELECT/);
    expect(safeErrorSerializer(err)).toMatchObject({ type: 'QueryFailedError', code: '22021' });
  });

  it('logs values that are not Errors readably, never as "[object Object]"', () => {
    // What pg, timers or a library may throw or emit: a plain object, an error from another realm, a string.
    const plain = safeErrorSerializer({ message: 'terminating connection', code: '57P01', severity: 'FATAL' });
    expect(plain).toMatchObject({ type: 'Object', message: 'terminating connection', code: '57P01' });
    const bare = safeErrorSerializer({ reason: 'closed', attempts: 3, password: 'hunter2' });
    expect(bare).toEqual({ type: 'Object', message: '{"reason":"closed","attempts":3,"password":"[REDACTED]"}' });
    expect(safeErrorSerializer('socket hang up')).toEqual({ type: 'string', message: 'socket hang up' });
    expect(safeErrorSerializer(42)).toEqual({ type: 'number', message: '42' });
    expect(safeErrorSerializer(null)).toEqual({ type: 'null', message: 'null' });
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(String(safeErrorSerializer(circular).message)).not.toContain('[object Object]');
    const huge = safeErrorSerializer({ blob: 'x'.repeat(10_000) });
    expect(String(huge.message).length).toBeLessThanOrEqual(501);
    for (const v of [plain, bare, huge]) expect(JSON.stringify(v)).not.toContain('[object Object]');
  });
});

describe('errors logged through the Nest logger (pino-http under nestjs-pino)', () => {
  it('keep their type, message and code, and still drop the SQL and its parameters', () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((out += chunk), done()) });
    const [options] = loggerOptions(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' }), sink).pinoHttp as [Options];
    const { logger } = pinoHttp(options, sink);
    const err = new QueryFailedError('SELECT secret_sql', ['victim@example.com'], new Error('terminating connection'));
    logger.warn({ err: Object.assign(err, { code: '57P01' }) }, 'change listener connection error');
    const line = JSON.parse(out) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ type: 'QueryFailedError', message: 'terminating connection', code: '57P01' });
    expect(out).not.toMatch(/secret_sql|victim@example.com/);
  });

  it('keep a thrown plain object readable', () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((out += chunk), done()) });
    const [options] = loggerOptions(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' }), sink).pinoHttp as [Options];
    const { logger } = pinoHttp(options, sink);
    logger.warn({ err: { message: 'Connection terminated', code: 'ECONNRESET' } }, 'listener error');
    logger.warn({ err: 'a bare string' }, 'listener error');
    const [first, second] = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { err: Record<string, unknown> });
    expect(first.err).toMatchObject({ message: 'Connection terminated', code: 'ECONNRESET' });
    expect(second.err).toMatchObject({ message: 'a bare string' });
    expect(out).not.toContain('[object Object]');
  });
});
