import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../config/load-config';
import { BatchedDestination, chooseLogFormat, jsonStdout, logStream, resolvePrettyTarget } from './log-output';
import { loggerOptions } from './logger-options';

const prettyTarget = resolvePrettyTarget();

describe('chooseLogFormat', () => {
  const terminal = { isTTY: true, prettyTarget: '/x/pino-pretty.js' };

  it('is pretty for a terminal in development', () => {
    expect(chooseLogFormat('development', terminal)).toBe('pretty');
  });

  it('is JSON in production and tests, even at a terminal', () => {
    expect(chooseLogFormat('production', terminal)).toBe('json');
    expect(chooseLogFormat('test', terminal)).toBe('json');
  });

  it('is JSON in development when stdout is a pipe or a file, or the caller chose a destination', () => {
    expect(chooseLogFormat('development', { ...terminal, isTTY: false })).toBe('json');
    expect(chooseLogFormat('development', { ...terminal, isTTY: undefined })).toBe('json');
    expect(chooseLogFormat('development', { ...terminal, destination: new PassThrough() })).toBe('json');
  });

  it('is JSON, silently, when pino-pretty cannot be loaded (a production install has no dev dependencies)', () => {
    expect(chooseLogFormat('development', { ...terminal, prettyTarget: undefined })).toBe('json');
    expect(logStream('development', { isTTY: true, prettyTarget: null })).toBe(jsonStdout());
  });
});

describe('loggerOptions output', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sb-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = (NODE_ENV: string) => loadConfig({ NODE_ENV, DATA_DIR: dir, LOG_LEVEL: 'info' });
  const pinoHttp = (params: ReturnType<typeof loggerOptions>) =>
    params.pinoHttp as unknown as [pino.LoggerOptions, unknown?];

  it('writes JSON to stdout asynchronously (one shared stream) for a pipe, and for production at a terminal', () => {
    expect(pinoHttp(loggerOptions(config('development'), undefined, { isTTY: false }))[1]).toBe(jsonStdout());
    expect(pinoHttp(loggerOptions(config('production'), undefined, { isTTY: true }))[1]).toBe(jsonStdout());
  });

  it('batches the lines of one event-loop turn into one write, and writes what is pending when asked', async () => {
    const writes: string[] = [];
    const out = new BatchedDestination({ write: (chunk: string) => writes.push(chunk) });
    out.write('a\n');
    out.write('b\n');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a\nb\n']);
    out.write('c\n');
    out.flush();
    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });

  it('writes captured logs to the destination tests pass, as JSON', () => {
    const captured = new PassThrough();
    expect(pinoHttp(loggerOptions(config('development'), captured, { isTTY: true }))[1]).toBe(captured);
  });

  it('pretty-prints at a terminal in development, with the same redaction', async () => {
    expect(prettyTarget).toBeDefined(); // a dev dependency: installed wherever the tests run
    const file = join(dir, 'pretty.log');
    const [options, stream] = pinoHttp(
      loggerOptions(config('development'), undefined, { isTTY: true, prettyDestination: file }),
    );
    expect(stream).toBeDefined();
    const log = pino(options, stream as pino.DestinationStream);
    log.info({ user: { email: 'a@example.com', password: 'hunter2-secret' }, apiKey: 'sk_live_leak' }, 'signed in');
    await new Promise<void>((resolve) => {
      (stream as NodeJS.WritableStream).once('close', () => resolve());
      (stream as NodeJS.WritableStream).end();
    });
    const out = readFileSync(file, 'utf8');
    expect(out).toContain('INFO');
    expect(out).toContain('signed in');
    expect(out).toContain('a@example.com');
    expect(out.trimStart().startsWith('{')).toBe(false); // not JSON
    expect(out).not.toContain('hunter2-secret');
    expect(out).not.toContain('sk_live_leak');
  });
});
