import { randomBytes } from 'node:crypto';
import { adminQuery, TestDatabase } from './database';
import type { TestApp } from './app';

export const STRONG_PASSWORD = 'orbit velvet cactus lantern';

let ipCounter = 1;
/** A fresh client IP per scenario (the test client is loopback, a trusted proxy, so X-Forwarded-For is honoured). */
export function freshIp(): string {
  ipCounter++;
  return `198.51.100.${ipCounter % 250}`.replace(/\.0$/, '.1');
}

export function jsonPost(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...extra };
}

export function uniqueUser(prefix = 'u') {
  const id = randomBytes(4).toString('hex');
  return { email: `${prefix}.${id}@example.com`, username: `${prefix}_${id}`, password: STRONG_PASSWORD };
}

export interface OutboxRow {
  kind: string;
  recipient: string;
  body: string;
}

export async function outbox(t: TestApp, recipient: string): Promise<OutboxRow[]> {
  return outboxOf(t.db, recipient);
}

/** The outbox rows to one recipient, oldest first. */
export function outboxOf(db: TestDatabase, recipient: string): Promise<OutboxRow[]> {
  return adminQuery<OutboxRow>(
    db,
    'SELECT kind, recipient, body FROM outbox_messages WHERE recipient = $1 ORDER BY created_at',
    [recipient],
  );
}

export function tokenIn(body: string): string {
  const m = /#token=([A-Za-z0-9_-]{43})/.exec(body);
  if (!m) throw new Error(`no token in mail: ${body}`);
  return m[1];
}

/**
 * Verifies `email` the way its owner does: the token from the latest verification mail in the outbox, posted to
 * POST /v1/auth/email/verify (from a client address of its own: the route has a per-address limit).
 */
export async function verifyEmail(t: TestApp, email: string): Promise<void> {
  await verifyEmailThrough(t.db, email, (path, init) => t.request(path, init));
}

/**
 * Verifies an address as its owner does: the token from the last verification mail in the outbox, posted to
 * /v1/auth/email/verify through `send` (an in-process test app, or a service process started by the test).
 */
export async function verifyEmailThrough(
  db: TestDatabase,
  email: string,
  send: (path: string, init: RequestInit) => Promise<Response>,
): Promise<void> {
  const mails = (await outboxOf(db, email)).filter((m) => m.kind === 'auth.verify_email');
  if (!mails.length) throw new Error(`no verification mail to ${email}`);
  const res = await send(
    '/v1/auth/email/verify',
    jsonPost({ token: tokenIn(mails[mails.length - 1].body) }, { 'x-forwarded-for': freshIp() }),
  );
  if (res.status !== 200) throw new Error(`verify: ${res.status} ${await res.text()}`);
}

/**
 * Registers, verifies the address from the mail (as a person would; REQUIRE_VERIFIED_EMAIL is on in tests) and signs
 * in. `{ verified: false }` leaves the address unverified, for tests about that state.
 */
export async function registerAndLogin(
  t: TestApp,
  user = uniqueUser(),
  { verified = true }: { verified?: boolean } = {},
): Promise<{ token: string; userId: string; user: typeof user }> {
  // Each user the helper makes is a different client: per-address limits (IP_LIMIT_REGISTER) apply to real clients.
  const reg = await t.request('/v1/auth/register', jsonPost(user, { 'x-forwarded-for': freshIp() }));
  if (reg.status !== 202) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  if (verified) await verifyEmail(t, user.email);
  const login = await t.request(
    '/v1/auth/login',
    jsonPost({ email: user.email, password: user.password }, { 'x-forwarded-for': freshIp() }),
  );
  const body = (await login.json()) as { token: string; user: { id: string } };
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(body)}`);
  return { token: body.token, userId: body.user.id, user };
}
