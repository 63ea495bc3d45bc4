import type { FastifyRequest } from 'fastify';
import { OPAQUE_TOKEN } from '../tokens';

/**
 * The device token as a browser keeps it: a `__Host-` cookie (Secure, no Domain, Path=/: only ever sent back to this
 * origin), HttpOnly (no script reads it) and SameSite=Strict (no other site's request carries it).
 */
export const DEVICE_COOKIE = '__Host-device';

/** The device token in a `Cookie` request header, if any (the first well-formed one). */
export function deviceTokenInCookies(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== DEVICE_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (OPAQUE_TOKEN.test(value)) return value;
  }
  return undefined;
}

/** The `Set-Cookie` value that stores a device token for `days`. */
export function deviceCookie(token: string, days: number): string {
  return `${DEVICE_COOKIE}=${token}; Max-Age=${days * 86_400}; Path=/; Secure; HttpOnly; SameSite=Strict`;
}

/**
 * The client of a sign-in step: its trusted address, its agent and its device token (the body's `deviceToken` when
 * given, else the `__Host-device` cookie).
 */
export function signInClient(
  req: FastifyRequest,
  bodyDeviceToken?: string,
): { ip: string; userAgent?: string; deviceToken?: string } {
  return {
    ip: req.ip,
    userAgent: req.headers['user-agent'],
    deviceToken: bodyDeviceToken ?? deviceTokenInCookies(req.headers.cookie),
  };
}
