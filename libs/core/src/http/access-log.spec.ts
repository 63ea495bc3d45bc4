import pino from 'pino';
import pinoHttp, { Options } from 'pino-http';
import { loadConfig } from '../config/load-config';
import { loggerOptions } from '../logging/logger-options';
import { AccessFields, ACCESS_MESSAGE, accessLineWriter } from './access-log';
import { runWithRequestContext } from './request-context';

/** The request logger as boot-http makes it (pino-http's logger, child `http`, no redaction pass), into `lines`. */
function requestLogger(lines: string[], level = 'info', stream?: pino.DestinationStream) {
  const sink = stream ?? { write: (line: string) => void lines.push(line) };
  const [options] = loggerOptions(loadConfig({ LOG_LEVEL: level }), sink as never).pinoHttp as [Options];
  // A fixed clock, so pino's line and ours can be compared byte for byte.
  const root = pinoHttp({ ...options, timestamp: () => ',"time":1796040000000' }, sink).logger;
  return root.child({ context: 'http' }, { formatters: { log: (line: object) => line } });
}

const FIELDS: AccessFields = {
  requestId: '6053619f-0da5-4cd5-b4b9-09163267ed49',
  method: 'GET',
  route: '/v1/scopes',
  url: '/v1/scopes',
  status: 200,
  latencyMs: 1.23,
  ip: '203.0.113.7',
  userAgent: 'curl/8.5',
};

describe('the access line', () => {
  const cases: Array<[string, AccessFields]> = [
    ['a plain GET', FIELDS],
    [
      'strings that need escaping (quotes, backslashes, control and line-separator characters, non-ASCII)',
      {
        ...FIELDS,
        url: '/v1/x?q="a\\b"',
        userAgent: 'evil"\n{"level":60,"msg":"forged"}\u2028\u0000ünï',
        ip: '2001:db8::1',
      },
    ],
    ['no user agent', { ...FIELDS, userAgent: undefined, status: 404, route: 'unmatched', latencyMs: 0 }],
  ];

  it.each(cases)('is byte for byte what pino writes for %s', (_name, fields) => {
    const ours: string[] = [];
    const theirs: string[] = [];
    accessLineWriter(requestLogger(ours))(fields);
    requestLogger(theirs).info(fields, ACCESS_MESSAGE);
    expect(ours).toEqual(theirs);
    const expected = JSON.parse(JSON.stringify(fields)) as object; // without the undefined user agent
    expect(JSON.parse(ours[0])).toMatchObject({ ...expected, level: 30, context: 'http', msg: ACCESS_MESSAGE });
  });

  it('is the same inside a request context, whose id pino would mix in', () => {
    const ours: string[] = [];
    const theirs: string[] = [];
    const ctx = { requestId: 'from-context' } as never;
    runWithRequestContext(ctx, () => accessLineWriter(requestLogger(ours))(FIELDS));
    runWithRequestContext(ctx, () => requestLogger(theirs).info(FIELDS, ACCESS_MESSAGE));
    expect(ours).toEqual(theirs);
  });

  it('one line per call: a forged line in a header stays inside its string', () => {
    const lines: string[] = [];
    accessLineWriter(requestLogger(lines))({ ...FIELDS, userAgent: 'x"}\n{"level":60' });
    expect(lines.join('').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('is not written when the level is above info', () => {
    const lines: string[] = [];
    accessLineWriter(requestLogger(lines, 'warn'))(FIELDS);
    expect(lines).toEqual([]);
  });

  it('leaves a stream that needs pino’s metadata (a multistream) to pino', () => {
    const lines: string[] = [];
    const multi = pino.multistream([{ stream: { write: (line: string) => void lines.push(line) } }]);
    accessLineWriter(requestLogger([], 'info', multi))(FIELDS);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ ...FIELDS, msg: ACCESS_MESSAGE });
  });
});
