import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SAFE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Keeps a well-formed incoming `X-Request-Id` when it comes from a trusted proxy (nginx sets it), so logs
 * correlate across hops; anyone else gets a fresh UUID, so a client cannot plant ids in logs and audit rows.
 */
export function requestIdFor(req: IncomingMessage, fromTrustedProxy: (address: string) => boolean): string {
  const header = req.headers['x-request-id'];
  const incoming = Array.isArray(header) ? header[0] : header;
  const peer = req.socket?.remoteAddress ?? '';
  return incoming && SAFE_ID.test(incoming) && fromTrustedProxy(peer) ? incoming : randomUUID();
}
