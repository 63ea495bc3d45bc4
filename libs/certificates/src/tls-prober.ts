import { Injectable } from '@nestjs/common';
import { DetailedPeerCertificate, connect } from 'node:tls';
import { MAX_CHAIN_LENGTH } from './certificate-parser';

export interface ProbeResult {
  /** The chain as served, leaf first, DER. */
  ders: Buffer[];
  protocol: string | null;
  cipher: string | null;
}

export class ProbeFailed extends Error {}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset during the handshake',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed during the handshake',
};

/** The one reason an opaque probe gives for every failure. */
export const OPAQUE_FAILURE =
  'no certificate retrieved: closed, filtered, silent or not TLS (details withheld for non-public addresses)';

/**
 * Fetches the certificate chain an endpoint serves: connect, finish the TLS handshake, read the peer's certificates,
 * close. Nothing is written beyond the handshake and nothing the peer might send afterwards is read. Verification is
 * off on purpose: judging the chain is the checks' job, and a bad chain must still be inventoried.
 *
 * `opaque` (non-public addresses): every failure gives the same reason, and only once the full timeout has passed,
 * so neither the stored reason nor the time to answer tells a closed port from an open non-TLS one (no port scanner
 * of the server's own network).
 */
@Injectable()
export class TlsProber {
  probe(
    address: string,
    port: number,
    servername: string | undefined,
    timeoutMs: number,
    opaque = false,
  ): Promise<ProbeResult> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = connect({ host: address, port, servername, rejectUnauthorized: false, ALPNProtocols: undefined });
      const timer = setTimeout(() => fail(new ProbeFailed(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        if (opaque) {
          const rest = Math.max(0, timeoutMs - (Date.now() - started));
          setTimeout(() => reject(new ProbeFailed(OPAQUE_FAILURE)), rest);
          return;
        }
        reject(err instanceof ProbeFailed ? err : new ProbeFailed(describeError(err)));
      };
      socket.once('error', fail);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        try {
          const ders = servedChain(socket.getPeerCertificate(true));
          const cipher = socket.getCipher();
          const protocol = socket.getProtocol();
          socket.destroy();
          resolve({ ders, protocol: protocol ?? null, cipher: cipher?.standardName ?? cipher?.name ?? null });
        } catch (err) {
          fail(err as Error);
        }
      });
    });
  }
}

function servedChain(leaf: DetailedPeerCertificate): Buffer[] {
  const ders: Buffer[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert?.raw && !seen.has(cert.fingerprint256) && ders.length < MAX_CHAIN_LENGTH) {
    seen.add(cert.fingerprint256);
    ders.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  if (!ders.length) throw new ProbeFailed('the peer sent no certificate');
  return ders;
}

function describeError(err: Error & { code?: string }): string {
  const code = err.code ?? '';
  if (REASONS[code]) return REASONS[code];
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /ssl|tls|handshake|alert/i.test(err.message)) {
    return `TLS handshake failed: ${(code || err.message).slice(0, 200)}`;
  }
  return `connection failed${code ? `: ${code}` : ''}`;
}
