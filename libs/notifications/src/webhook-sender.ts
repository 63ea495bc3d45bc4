import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface WebhookDelivery {
  url: string;
  /** The outbox message id: receivers use it to drop duplicates (delivery is at least once). */
  id: string;
  body: string;
  secret: string;
  /** Unix seconds put into the signature, so a receiver can refuse replays older than its tolerance. */
  timestamp: number;
}

export const SIGNATURE_HEADER = 'webhook-signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe signs its webhooks. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** What a receiver does: recompute, compare in constant time, refuse stale timestamps. */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !parts.v1) return false;
  // The hex strings are compared, not their bytes: Node's hex decoder stops at the first bad character and drops an
  // odd last one, so comparing bytes would accept the signature with anything appended.
  const expected = Buffer.from(signWebhook(secret, t, body).split('v1=')[1], 'ascii');
  const given = Buffer.from(parts.v1, 'ascii');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Posts one signed webhook (the outbound HTTP side effect, replaceable in unit tests). */
@Injectable()
export class WebhookSender {
  async send(d: WebhookDelivery, timeoutMs = 10_000): Promise<void> {
    const res = await fetch(d.url, {
      method: 'POST',
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'content-type': 'application/json',
        'webhook-id': d.id,
        [SIGNATURE_HEADER]: signWebhook(d.secret, d.timestamp, d.body),
      },
      body: d.body,
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`webhook answered HTTP ${res.status}`);
  }
}
