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
});
