import { AdminUsersService } from '@app/auth';
import type { TestApp } from './app';
import { bearer, jsonPost, registerAndLogin } from './auth-helpers';

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  status: string;
  scopes: string[];
  expiresAt: string;
  warning: string;
}

/** The same pepper for apps sharing one database (as instances behind a load balancer share their secrets). */
export const SHARED_PEPPER = '1:shared-test-pepper-for-several-instances';

export async function createKey(t: TestApp, token: string, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const res = await t.request(
    '/v1/api-keys',
    jsonPost({ name: 'test key', scopes: ['profiles:read'], ...body }, bearer(token)),
  );
  const json = (await res.json()) as CreatedKey;
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A user holding `scopes` (granted by an admin, as `users:grant` does) with a session. */
export async function userWithScopes(t: TestApp, scopes: string[] = []): Promise<{ token: string; userId: string }> {
  const u = await registerAndLogin(t);
  if (scopes.length) await t.app.get(AdminUsersService).changeScopes(undefined, u.userId, scopes, []);
  return u;
}

export function withKey(key: string, headers: Record<string, string> = {}): RequestInit {
  return { headers: { authorization: `Bearer ${key}`, ...headers } };
}

export async function problem(res: Response): Promise<{ status: number; code: string; [k: string]: unknown }> {
  const body = (await res.json()) as { code: string };
  return { ...body, status: res.status };
}
