import { randomBytes } from 'node:crypto';
import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { startTestApp, TestApp } from '../support/app';
import { nginxBinary, RunningTlsFront, startTlsFront } from '../support/nginx';
import { requireOrSkip } from '../support/test-env';
import { FULL_SUITE, itSlow } from '../support/tier';

/**
 * Request smuggling (ASVS 4.2.1): ambiguous message framing sent as raw bytes, to the app directly and through the
 * shipped nginx config. Each payload hides a second request to a canary path; it must be refused with 400, answered
 * once, and the canary must never reach the app. A control (two honest pipelined requests) shows the method sees a
 * second request when there is one.
 */
describe('request smuggling: ambiguous framing is refused, nothing rides along (app and nginx)', () => {
  const binary = nginxBinary();
  // Through nginx is the slow tier's part (a real nginx with TLS); the app's own framing is checked in every run.
  const nginxAvailable = FULL_SUITE && requireOrSkip(binary !== undefined, 'nginx');
  let t: TestApp;
  let front: RunningTlsFront | undefined;

  beforeAll(async () => {
    t = await startTestApp();
    if (nginxAvailable) front = await startTlsFront(binary!, [`127.0.0.1:${new URL(t.url).port}`]);
  });
  afterAll(async () => {
    await front?.stop();
    await t?.stop();
  });

  /** Sends raw bytes and collects everything until the peer closes (or 3 s of silence). */
  function exchange(target: 'app' | 'nginx', raw: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket: Socket =
        target === 'app'
          ? netConnect({ host: '127.0.0.1', port: Number(new URL(t.url).port) })
          : tlsConnect({
              host: '127.0.0.1',
              port: front!.httpsPort,
              servername: 'localhost',
              ca: front!.ca,
              ALPNProtocols: ['http/1.1'],
            });
      const chunks: Buffer[] = [];
      socket.setTimeout(3000, () => socket.destroy());
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', (err) => (chunks.length ? undefined : reject(err)));
      socket.once(target === 'app' ? 'connect' : 'secureConnect', () => socket.write(raw));
    });
  }

  // Not anchored to a line start: a pipelined answer follows the previous body directly.
  const statusLines = (reply: string) => (reply.match(/HTTP\/1\.1 \d{3} /g) ?? []).map((l) => l.trim());
  const canary = () => `/smuggled-${randomBytes(6).toString('hex')}`;

  const payloads: Record<string, (hidden: string) => string> = {
    'Content-Length and Transfer-Encoding together (CL.TE / TE.CL)': (hidden) =>
      `POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET ${hidden} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    'two different Content-Length values': (hidden) =>
      `POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET ${hidden} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    'an obfuscated Transfer-Encoding (space before the colon)': (hidden) =>
      `POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\nGET ${hidden} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    'a Transfer-Encoding that does not end in chunked': (hidden) =>
      `POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\nGET ${hidden} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
  };

  for (const target of ['app', 'nginx'] as const) {
    const test = target === 'nginx' ? itSlow : it;
    for (const [name, build] of Object.entries(payloads)) {
      test(`${target}: ${name}`, async () => {
        if (target === 'nginx' && !front) return;
        const hidden = canary();
        const reply = await exchange(target, build(hidden));
        // One answer, a refusal: 400, or 501 for a transfer coding the server does not implement (RFC 9112 §6.1).
        expect(statusLines(reply)).toHaveLength(1);
        expect(statusLines(reply)[0]).toMatch(/^HTTP\/1\.1 (400|501)$/);
        // Give the app a moment to log anything that might have reached it.
        await new Promise((r) => setTimeout(r, 200));
        expect(t.logs.text).not.toContain(hidden);
      });
    }

    test(`${target}: control — two honest pipelined requests get two answers, and the second reaches the app`, async () => {
      if (target === 'nginx' && !front) return;
      const second = canary();
      const reply = await exchange(
        target,
        `GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\nGET ${second} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
      );
      expect(statusLines(reply)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 404']);
      expect(t.logs.text).toContain(second);
    });
  }
});
