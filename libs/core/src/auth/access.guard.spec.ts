import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/internal';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/load-config';
import { Clock } from '../system/clock';
import { AccessRule } from './access-rule';
import {
  Authenticated,
  OptionalAuthentication,
  Public,
  RequireApiKey,
  RequireScopes,
  RequireSession,
  ScopesFromHeader,
  SensitiveAction,
} from './access.decorators';
import { AccessGuard } from './access.guard';
import { CredentialResolver, CredentialResolvers, PresentedCredential } from './credential-resolvers';
import type { Principal, RequestWithPrincipal } from './principal';
import { StepUpWindow } from './step-up-window';

/** A clock the tests set by hand. */
class FixedClock extends Clock {
  ms = Date.parse('2026-03-01T12:00:00.000Z');
  now(): Date {
    return new Date(this.ms);
  }
}
const clock = new FixedClock();
const stepUpConfig = { env: { STEP_UP_MAX_AGE_MINUTES: 15 } } as AppConfig;

/**
 * A resolver that answers with a fixed principal and records what it was asked. It never applies the rule itself,
 * so every refusal below comes from the guard. `sync` answers without a promise, like a cached API key.
 */
class FakeResolver implements CredentialResolver {
  readonly calls: AccessRule[] = [];
  principal: Principal;

  constructor(
    readonly kind: Principal['kind'],
    private readonly sync: boolean,
  ) {
    this.principal = { kind, userId: 'u1', role: 'user', scopes: [], emailVerified: true };
  }

  accepts(credential: PresentedCredential): boolean {
    const isKey = credential.via === 'x-api-key' || credential.value.startsWith('sk_');
    return this.kind === 'apiKey' ? isKey : !isKey;
  }

  resolve(_c: PresentedCredential, _req: FastifyRequest, _reply: FastifyReply, rule: AccessRule) {
    this.calls.push(rule);
    return this.sync ? this.principal : Promise.resolve(this.principal);
  }
}

class Routes {
  @Public() open() {}
  @OptionalAuthentication() catalogue() {}
  undeclared() {}
  @Authenticated() anyone() {}
  @RequireScopes('certificates:read') certificates() {}
  @RequireSession() sessionOnly() {}
  @RequireApiKey() keyOnly() {}
  @RequireApiKey() @ScopesFromHeader('X-Required-Scopes') introspect() {}
  @RequireScopes('profiles:read_sensitive') @SensitiveAction() export() {}
}

@RequireScopes('admin:all')
class AdminRoutes {
  plain() {}
  @SensitiveAction() grant() {}
  @RequireScopes('audit:read') alsoAudit() {}
}

/** Header lines as sent: a record, or [name, value] pairs where a name may repeat. */
type Lines = Record<string, string> | [string, string][];

const SESSION = { authorization: 'Bearer session-token' };
const KEY = { 'x-api-key': 'sk_live_anything' };

describe('AccessGuard', () => {
  let sessions: FakeResolver;
  let keys: FakeResolver;
  let guard: AccessGuard;

  beforeEach(() => {
    sessions = new FakeResolver('session', false);
    keys = new FakeResolver('apiKey', true);
    const registry = new CredentialResolvers();
    registry.register(sessions);
    registry.register(keys);
    guard = new AccessGuard(new Reflector(), registry, new StepUpWindow(clock, stepUpConfig));
  });

  /**
   * `headers` as Node presents them, from the lines sent: `rawHeaders` keeps every line; `headers` keeps the first of
   * repeated Authorization lines and joins other repeated lines with ", ".
   */
  function context(cls: object, handler: string, lines: Lines) {
    const rawHeaders = (Array.isArray(lines) ? lines : Object.entries(lines)).flat();
    const headers: Record<string, string> = {};
    for (const [name, value] of Array.isArray(lines) ? lines : Object.entries(lines)) {
      const lower = name.toLowerCase();
      if (!(lower in headers)) headers[lower] = value;
      else if (lower !== 'authorization') headers[lower] += `, ${value}`;
    }
    const request = { headers, raw: { rawHeaders }, ip: '127.0.0.1' } as unknown as RequestWithPrincipal;
    const host = new ExecutionContextHost(
      [request, {}],
      cls as never,
      (cls as { prototype: Record<string, () => void> }).prototype[handler],
    );
    return { host, request };
  }

  /** Runs the guard: the principal it set, or the error code it refused with. */
  async function run(handler: keyof Routes | keyof AdminRoutes, headers: Lines = {}) {
    const cls = handler in Routes.prototype ? Routes : AdminRoutes;
    const { host, request } = context(cls, handler, headers);
    try {
      expect(await guard.canActivate(host)).toBe(true);
      return { principal: request.principal };
    } catch (err) {
      return { refused: (err as { code: string }).code };
    }
  }

  it('public: lets anyone through without looking at credentials, not even a malformed one', async () => {
    expect(await run('open')).toEqual({ principal: undefined });
    expect(await run('open', { authorization: 'Basic dXNlcjpwdw==' })).toEqual({ principal: undefined });
    expect(await run('open', KEY)).toEqual({ principal: undefined });
    expect(sessions.calls.length + keys.calls.length).toBe(0);
  });

  it('optional: anonymous without a credential; one presented is resolved, a malformed one refused', async () => {
    expect(await run('catalogue')).toEqual({ principal: undefined });
    expect(await run('catalogue', SESSION)).toEqual({ principal: sessions.principal });
    expect(await run('catalogue', KEY)).toEqual({ principal: keys.principal });
    expect(await run('catalogue', { authorization: 'Basic dXNlcjpwdw==' })).toEqual({ refused: 'UNAUTHENTICATED' });
  });

  it('missing credential: UNAUTHENTICATED on every guarded route (one without a decorator too), API_KEY_REQUIRED on key-only ones', async () => {
    for (const route of ['undeclared', 'anyone', 'certificates', 'sessionOnly'] as const) {
      expect(await run(route)).toEqual({ refused: 'UNAUTHENTICATED' });
    }
    expect(await run('plain')).toEqual({ refused: 'UNAUTHENTICATED' });
    expect(await run('keyOnly')).toEqual({ refused: 'API_KEY_REQUIRED' });
    expect(await run('introspect')).toEqual({ refused: 'API_KEY_REQUIRED' });
  });

  it('session-only with a key: SESSION_REQUIRED before the key is looked up (nothing spent)', async () => {
    keys.principal.scopes = ['admin:all'];
    expect(await run('sessionOnly', KEY)).toEqual({ refused: 'SESSION_REQUIRED' });
    expect(await run('sessionOnly', { authorization: 'Bearer sk_live_anything' })).toEqual({
      refused: 'SESSION_REQUIRED',
    });
    expect(keys.calls).toHaveLength(0);
    expect(await run('sessionOnly', SESSION)).toEqual({ principal: sessions.principal });
  });

  it('key-only with a session: API_KEY_REQUIRED before the session is looked up', async () => {
    sessions.principal.scopes = ['admin:all'];
    expect(await run('keyOnly', SESSION)).toEqual({ refused: 'API_KEY_REQUIRED' });
    expect(sessions.calls).toHaveLength(0);
    expect(await run('keyOnly', KEY)).toEqual({ principal: keys.principal });
  });

  it('wrong kind even when a resolver admits it: the rule is checked again on the principal', async () => {
    // A resolver for another kind of credential that yields a key principal must not open a people-only route.
    sessions.principal = { kind: 'apiKey', emailVerified: true, userId: 'u1', role: 'user', scopes: [] };
    expect(await run('sessionOnly', SESSION)).toEqual({ refused: 'SESSION_REQUIRED' });
  });

  it('missing scope: INSUFFICIENT_SCOPES for sessions and keys; the resolver was given the rule', async () => {
    sessions.principal.scopes = ['profiles:read'];
    keys.principal.scopes = ['profiles:read'];
    expect(await run('certificates', SESSION)).toEqual({ refused: 'INSUFFICIENT_SCOPES' });
    expect(await run('certificates', KEY)).toEqual({ refused: 'INSUFFICIENT_SCOPES' });
    expect(keys.calls[0].scopes).toEqual(['certificates:read']);
    keys.principal.scopes = ['certificates:read'];
    expect(await run('certificates', KEY)).toEqual({ principal: keys.principal });
  });

  it('admin:all passes any scope', async () => {
    sessions.principal.scopes = ['admin:all'];
    keys.principal.scopes = ['admin:all'];
    expect(await run('certificates', SESSION)).toEqual({ principal: sessions.principal });
    expect(await run('certificates', KEY)).toEqual({ principal: keys.principal });
    expect(await run('alsoAudit', SESSION)).toEqual({ principal: sessions.principal });
  });

  it('a controller rule and a method rule: the scopes of both are required', async () => {
    sessions.principal.scopes = ['audit:read'];
    expect(await run('alsoAudit', SESSION)).toEqual({ refused: 'INSUFFICIENT_SCOPES' });
    expect(await run('plain', SESSION)).toEqual({ refused: 'INSUFFICIENT_SCOPES' });
    expect(sessions.calls.map((r) => r.scopes)).toEqual([['admin:all', 'audit:read'], ['admin:all']]);
  });

  it('scopes named in the route’s scopes header are required on top of its own', async () => {
    keys.principal.scopes = ['profiles:read'];
    const asking = (scopes: string) => ({ ...KEY, 'x-required-scopes': scopes });
    expect(await run('introspect', asking('profiles:read'))).toEqual({ principal: keys.principal });
    expect(await run('introspect', asking('profiles:read, certificates:read'))).toEqual({
      refused: 'INSUFFICIENT_SCOPES',
    });
    expect(keys.calls[1].scopes).toEqual(['profiles:read', 'certificates:read']);
    // Only the route that names the header reads it.
    expect(await run('keyOnly', asking('certificates:read'))).toEqual({ principal: keys.principal });
  });

  describe('more than one credential: AMBIGUOUS_CREDENTIALS before any resolver is asked', () => {
    const cases: [string, Lines][] = [
      ['a session and a key', { ...SESSION, ...KEY }],
      ['a key in both headers', { authorization: 'Bearer sk_live_anything', 'x-api-key': 'sk_live_other' }],
      ['the same key in both headers', { authorization: 'Bearer sk_live_anything', ...KEY }],
      ['a malformed Authorization and a key', { authorization: 'Basic dXNlcjpwdw==', ...KEY }],
      [
        'two X-API-Key lines',
        [
          ['X-API-Key', 'sk_live_a'],
          ['x-api-key', 'sk_live_b'],
        ],
      ],
      [
        'the same key twice',
        [
          ['x-api-key', 'sk_live_a'],
          ['X-API-KEY', 'sk_live_a'],
        ],
      ],
      ['two keys joined in one line by a proxy', { 'x-api-key': 'sk_live_a, sk_live_b' }],
      [
        'two Authorization lines (Node keeps only the first in headers)',
        [
          ['Authorization', 'Bearer session-token'],
          ['authorization', 'Bearer sk_live_anything'],
        ],
      ],
    ];
    it.each(cases)('%s', async (_name, lines) => {
      sessions.principal.scopes = ['admin:all'];
      keys.principal.scopes = ['admin:all'];
      for (const route of [
        'catalogue',
        'anyone',
        'certificates',
        'sessionOnly',
        'keyOnly',
        'introspect',
        'plain',
      ] as const)
        expect(await run(route, lines)).toEqual({ refused: 'AMBIGUOUS_CREDENTIALS' });
      expect(sessions.calls.length + keys.calls.length).toBe(0);
    });

    it('public routes never count credentials: two are let through unread', async () => {
      expect(await run('open', { ...SESSION, ...KEY })).toEqual({ principal: undefined });
      expect(
        await run('open', [
          ['x-api-key', 'sk_live_a'],
          ['x-api-key', 'sk_live_b'],
        ]),
      ).toEqual({
        principal: undefined,
      });
      expect(sessions.calls.length + keys.calls.length).toBe(0);
    });

    it('one credential beside empty lines is one credential', async () => {
      expect(await run('anyone', { authorization: '', ...KEY })).toEqual({ principal: keys.principal });
      expect(await run('anyone', { ...SESSION, 'x-api-key': '' })).toEqual({ principal: sessions.principal });
      expect(await run('anyone', { 'x-api-key': 'sk_live_a, ' })).toEqual({ principal: keys.principal });
    });
  });

  it('a sensitive route: a session needs a recent authentication by the guard’s clock; a key with the scope passes', async () => {
    const minutesAgo = (m: number) => new Date(clock.ms - m * 60_000);
    sessions.principal.scopes = ['profiles:read_sensitive'];
    keys.principal.scopes = ['profiles:read_sensitive'];
    sessions.principal.authenticatedAt = minutesAgo(15);
    expect(await run('export', SESSION)).toEqual({ principal: sessions.principal });
    sessions.principal.authenticatedAt = minutesAgo(15.001);
    expect(await run('export', SESSION)).toEqual({ refused: 'RECENT_LOGIN_REQUIRED' });
    sessions.principal.authenticatedAt = undefined;
    expect(await run('export', SESSION)).toEqual({ refused: 'RECENT_LOGIN_REQUIRED' });
    // The clock moves on: the same session that was admitted is refused once the window has passed.
    sessions.principal.authenticatedAt = minutesAgo(1);
    expect(await run('export', SESSION)).toEqual({ principal: sessions.principal });
    clock.ms += 15 * 60_000;
    try {
      expect(await run('export', SESSION)).toEqual({ refused: 'RECENT_LOGIN_REQUIRED' });
    } finally {
      clock.ms -= 15 * 60_000;
    }
    expect(await run('export', KEY)).toEqual({ principal: keys.principal });
    // Scopes are checked first: a stale session without the scope hears about the scope.
    sessions.principal.scopes = [];
    sessions.principal.authenticatedAt = undefined;
    expect(await run('export', SESSION)).toEqual({ refused: 'INSUFFICIENT_SCOPES' });
  });

  it('@SensitiveAction on a method adds the step-up to its controller’s rule, scopes kept', async () => {
    sessions.principal.scopes = ['admin:all'];
    sessions.principal.authenticatedAt = new Date(clock.ms - 16 * 60_000);
    expect(await run('grant', SESSION)).toEqual({ refused: 'RECENT_LOGIN_REQUIRED' });
    expect(await run('plain', SESSION)).toEqual({ principal: sessions.principal });
    sessions.principal.scopes = [];
    expect(await run('grant', SESSION)).toEqual({ refused: 'INSUFFICIENT_SCOPES' });
  });

  it('answers synchronously for a resolver that does (a cached key): no promise per request', () => {
    const { host, request } = context(Routes, 'anyone', KEY);
    expect(guard.canActivate(host)).toBe(true);
    expect(request.principal).toBe(keys.principal);
  });
});
