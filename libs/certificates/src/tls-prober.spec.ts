import { createServer, Server } from 'node:net';
import { OPAQUE_FAILURE, TlsProber } from './tls-prober';

/** Real sockets on 127.0.0.1: a closed port and three kinds of open non-TLS service. */
describe('TlsProber: non-public targets are not a port scanner (issue 23 item 5)', () => {
  const servers: Server[] = [];
  const listen = async (onConn: (s: import('node:net').Socket) => void): Promise<number> => {
    const srv = createServer(onConn);
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    return (srv.address() as { port: number }).port;
  };
  const ports: Record<string, number> = {};
  const TIMEOUT = 400;

  beforeAll(async () => {
    ports.closed = await listen(() => undefined);
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    ports.silent = await listen(() => undefined);
    ports.http = await listen((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    ports.reset = await listen((s) => s.resetAndDestroy());
    ports.banner = await listen((s) => s.write('SSH-2.0-OpenSSH_9.6\r\n'));
  });
  afterAll(() => servers.forEach((s) => s.close()));

  const attempt = async (port: number, opaque: boolean) => {
    const started = Date.now();
    const reason = await new TlsProber()
      .probe('127.0.0.1', port, undefined, TIMEOUT, opaque)
      .then(() => 'connected')
      .catch((e: Error) => e.message);
    return { reason, ms: Date.now() - started };
  };

  it('opaque: every failure gives one reason, and only after the full timeout', async () => {
    const outcomes = await Promise.all(Object.values(ports).map((p) => attempt(p, true)));
    for (const o of outcomes) {
      expect(o.reason).toBe(OPAQUE_FAILURE);
      expect(o.ms).toBeGreaterThanOrEqual(TIMEOUT - 20);
    }
  });

  it('public targets keep the detailed reasons (they tell the owner what to fix)', async () => {
    const closed = await attempt(ports.closed, false);
    expect(closed.reason).toBe('connection refused');
    expect(closed.ms).toBeLessThan(TIMEOUT);
    expect((await attempt(ports.silent, false)).reason).toBe(`no TLS handshake within ${TIMEOUT} ms`);
  });
});
