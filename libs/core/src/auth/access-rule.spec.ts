import { DomainException } from '../errors/domain.exception';
import { toProblem } from '../errors/problem';
import { accessProblem, assertAccess } from './access-problems';
import { AccessRule, AccessRules, evaluateAccess } from './access-rule';
import type { Principal } from './principal';

const session = (...scopes: string[]): Principal => ({
  kind: 'session',
  emailVerified: true,
  userId: 'u1',
  role: 'user',
  scopes,
  sessionId: 's1',
});
const key = (...scopes: string[]): Principal => ({
  kind: 'apiKey',
  emailVerified: true,
  userId: 'u1',
  role: 'user',
  scopes,
  keyId: 'k1',
});

describe('evaluateAccess', () => {
  describe('second factors (issue 19)', () => {
    const now = 1_800_000_000_000;
    const fresh = new Date(now);
    const admin = (extra: Partial<Principal>): Principal => ({
      ...session('admin:all'),
      role: 'admin',
      authenticatedAt: fresh,
      ...extra,
    });

    it('a session that must enrol is refused MFA_ENROLMENT_REQUIRED except on enrolment routes; keys are not asked', () => {
      const must = admin({ mfaEnrolmentRequired: true, aal: 'aal1' });
      expect(evaluateAccess(AccessRules.principal(['admin:all']), must)).toEqual({ code: 'MFA_ENROLMENT_REQUIRED' });
      expect(evaluateAccess(AccessRules.session(), must)).toEqual({ code: 'MFA_ENROLMENT_REQUIRED' });
      const enrolRule: AccessRule = { ...AccessRules.session(), mfaEnrolment: true };
      expect(evaluateAccess(enrolRule, must)).toBeUndefined();
      expect(evaluateAccess({ ...enrolRule, sensitive: true }, must, now)).toBeUndefined();
      expect(
        evaluateAccess(AccessRules.principal(), { ...key('admin:all'), mfaEnrolmentRequired: true }),
      ).toBeUndefined();
      expect(
        evaluateAccess(AccessRules.principal(['admin:all']), admin({ mfaEnrolmentRequired: false })),
      ).toBeUndefined();
    });

    it('a sensitive rule asks a user with a factor for aal2 after recency; without a factor aal1 is enough', () => {
      const rule = AccessRules.sensitive();
      expect(evaluateAccess(rule, admin({ hasSecondFactor: true, aal: 'aal1' }), now)).toEqual({
        code: 'SECOND_FACTOR_REQUIRED',
      });
      expect(evaluateAccess(rule, admin({ hasSecondFactor: true }), now)).toEqual({ code: 'SECOND_FACTOR_REQUIRED' });
      expect(evaluateAccess(rule, admin({ hasSecondFactor: true, aal: 'aal2' }), now)).toBeUndefined();
      expect(evaluateAccess(rule, admin({ hasSecondFactor: false, aal: 'aal1' }), now)).toBeUndefined();
      // Recency first: a stale aal2 session still has to reauthenticate.
      expect(evaluateAccess(rule, admin({ hasSecondFactor: true, aal: 'aal2' }), now + 1)).toEqual({
        code: 'RECENT_LOGIN_REQUIRED',
      });
      // Not sensitive: aal1 is fine.
      expect(
        evaluateAccess(AccessRules.principal(), admin({ hasSecondFactor: true, aal: 'aal1' }), now),
      ).toBeUndefined();
    });

    it('the problems name how to go on', () => {
      const enrol = toProblem(accessProblem({ code: 'MFA_ENROLMENT_REQUIRED' }), 'r').body;
      expect(enrol).toMatchObject({ code: 'MFA_ENROLMENT_REQUIRED', enrol: 'POST /v1/auth/mfa/totp' });
      const step = toProblem(accessProblem({ code: 'SECOND_FACTOR_REQUIRED' }), 'r').body;
      expect(step).toMatchObject({ code: 'SECOND_FACTOR_REQUIRED', reauthenticate: 'POST /v1/auth/reauthenticate' });
    });
  });

  it('public: admits anyone, with or without a credential of any kind', () => {
    const rule = AccessRules.public();
    expect(evaluateAccess(rule, undefined)).toBeUndefined();
    expect(evaluateAccess(rule, 'apiKey')).toBeUndefined();
    expect(evaluateAccess(rule, key())).toBeUndefined();
  });

  it('optional: admits no credential, and any principal', () => {
    const rule = AccessRules.optional();
    expect(evaluateAccess(rule, undefined)).toBeUndefined();
    expect(evaluateAccess(rule, session())).toBeUndefined();
    expect(evaluateAccess(rule, key())).toBeUndefined();
  });

  it('missing credential: UNAUTHENTICATED, or API_KEY_REQUIRED where only keys are admitted', () => {
    expect(evaluateAccess(AccessRules.principal(), undefined)).toEqual({ code: 'UNAUTHENTICATED' });
    expect(evaluateAccess(AccessRules.principal(['profiles:read']), undefined)).toEqual({ code: 'UNAUTHENTICATED' });
    expect(evaluateAccess(AccessRules.session(), undefined)).toEqual({ code: 'UNAUTHENTICATED' });
    expect(evaluateAccess(AccessRules.apiKey(), undefined)).toEqual({ code: 'API_KEY_REQUIRED' });
  });

  it('wrong kind, known before the lookup: a key on a people-only route, a session on a key-only route', () => {
    expect(evaluateAccess(AccessRules.session(), 'apiKey')).toEqual({ code: 'SESSION_REQUIRED' });
    expect(evaluateAccess(AccessRules.apiKey(), 'session')).toEqual({ code: 'API_KEY_REQUIRED' });
    expect(evaluateAccess(AccessRules.session(), 'session')).toBeUndefined();
    expect(evaluateAccess(AccessRules.apiKey(), 'apiKey')).toBeUndefined();
    // Scopes are unknown until the credential is resolved: the kind alone never refuses for them.
    expect(evaluateAccess(AccessRules.principal(['admin:all']), 'apiKey')).toBeUndefined();
  });

  it('session-only with a key, key-only with a session (resolved principals), whatever their scopes', () => {
    expect(evaluateAccess(AccessRules.session(), key('admin:all'))).toEqual({ code: 'SESSION_REQUIRED' });
    expect(evaluateAccess(AccessRules.apiKey(), session('admin:all'))).toEqual({ code: 'API_KEY_REQUIRED' });
    expect(evaluateAccess(AccessRules.session(['audit:read']), session('audit:read'))).toBeUndefined();
    expect(evaluateAccess(AccessRules.apiKey(['audit:read']), key('audit:read'))).toBeUndefined();
  });

  it('missing scope: INSUFFICIENT_SCOPES with every required scope and the missing ones', () => {
    const rule = AccessRules.principal(['profiles:read', 'audit:read']);
    expect(evaluateAccess(rule, key('profiles:read'))).toEqual({
      code: 'INSUFFICIENT_SCOPES',
      required: ['profiles:read', 'audit:read'],
      missing: ['audit:read'],
    });
    expect(evaluateAccess(rule, session())).toMatchObject({ missing: ['profiles:read', 'audit:read'] });
    expect(evaluateAccess(rule, session('audit:read', 'profiles:read', 'crypto:hmac'))).toBeUndefined();
    expect(evaluateAccess(AccessRules.apiKey(['crypto:hmac']), key('crypto:encrypt'))).toMatchObject({
      code: 'INSUFFICIENT_SCOPES',
    });
    expect(evaluateAccess(AccessRules.session(['audit:read']), session())).toMatchObject({
      code: 'INSUFFICIENT_SCOPES',
    });
  });

  it('admin:all holds every scope, for sessions and keys', () => {
    const rule = AccessRules.principal(['certificates:write', 'keys:verify']);
    expect(evaluateAccess(rule, session('admin:all'))).toBeUndefined();
    expect(evaluateAccess(rule, key('admin:all'))).toBeUndefined();
    expect(evaluateAccess(rule, key('certificates:write'))).toMatchObject({ missing: ['keys:verify'] });
  });

  it('a rule with no scopes admits any principal of an admitted kind', () => {
    expect(evaluateAccess(AccessRules.principal(), session())).toBeUndefined();
    expect(evaluateAccess(AccessRules.principal(), key())).toBeUndefined();
  });
});

describe('evaluateAccess: sensitive actions (recent authentication)', () => {
  const NOW = Date.parse('2026-03-01T12:00:00.000Z');
  const WINDOW = 15 * 60_000;
  const since = NOW - WINDOW;
  const signedIn = (msAgo: number | undefined, ...scopes: string[]): Principal => ({
    ...session(...scopes),
    authenticatedAt: msAgo === undefined ? undefined : new Date(NOW - msAgo),
  });

  it('a session inside the window passes, up to its very edge; one past it is refused RECENT_LOGIN_REQUIRED', () => {
    const rule = AccessRules.sensitive();
    expect(evaluateAccess(rule, signedIn(0), since)).toBeUndefined();
    expect(evaluateAccess(rule, signedIn(WINDOW), since)).toBeUndefined();
    expect(evaluateAccess(rule, signedIn(WINDOW + 1), since)).toEqual({ code: 'RECENT_LOGIN_REQUIRED' });
    expect(evaluateAccess(rule, signedIn(24 * 3_600_000), since)).toEqual({ code: 'RECENT_LOGIN_REQUIRED' });
  });

  it('fails closed: no authenticatedAt, an invalid one, or no time given refuses a session', () => {
    const rule = AccessRules.sensitive();
    expect(evaluateAccess(rule, signedIn(undefined), since)).toEqual({ code: 'RECENT_LOGIN_REQUIRED' });
    expect(evaluateAccess(rule, { ...session(), authenticatedAt: new Date(NaN) }, since)).toEqual({
      code: 'RECENT_LOGIN_REQUIRED',
    });
    expect(evaluateAccess(rule, signedIn(0))).toEqual({ code: 'RECENT_LOGIN_REQUIRED' });
  });

  it('an API key is not asked (it carries no authenticatedAt); its scopes still are', () => {
    const rule = AccessRules.sensitive(['profiles:read_sensitive']);
    expect(evaluateAccess(rule, key('profiles:read_sensitive'), since)).toBeUndefined();
    expect(evaluateAccess(rule, key('profiles:read_sensitive'))).toBeUndefined();
    expect(evaluateAccess(rule, key('profiles:read'), since)).toMatchObject({ code: 'INSUFFICIENT_SCOPES' });
  });

  it('scopes are checked first; the kind alone (before the lookup) never refuses for the window', () => {
    const rule = AccessRules.sensitive(['profiles:read_sensitive']);
    expect(evaluateAccess(rule, signedIn(undefined, 'profiles:read'), since)).toMatchObject({
      code: 'INSUFFICIENT_SCOPES',
    });
    expect(evaluateAccess(rule, 'session')).toBeUndefined();
    expect(evaluateAccess(rule, undefined)).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('rules that are not sensitive ignore authenticatedAt entirely', () => {
    expect(evaluateAccess(AccessRules.session(), signedIn(undefined), since)).toBeUndefined();
    expect(evaluateAccess(AccessRules.principal(['audit:read']), signedIn(WINDOW * 10, 'audit:read'))).toBeUndefined();
    expect(AccessRules.principal()).not.toHaveProperty('sensitive');
    expect(AccessRules.sensitive()).toMatchObject({ authentication: 'required', sensitive: true });
  });
});

describe('evaluateAccess: a verified email address (REQUIRE_VERIFIED_EMAIL)', () => {
  const unverified = (p: Principal): Principal => ({ ...p, emailVerified: false });
  const allowUnverified = (rule: AccessRule): AccessRule => ({ ...rule, unverifiedEmail: true });
  const now = 1_700_000_000_000;
  const since = now - 15 * 60_000;

  it('refuses an unverified session and an unverified owner’s key on every rule that does not admit them', () => {
    for (const rule of [
      AccessRules.principal(),
      AccessRules.principal(['profiles:read']),
      AccessRules.session(),
      AccessRules.apiKey(),
      AccessRules.optional(),
    ]) {
      const caller = rule.kinds.includes('session') ? session('profiles:read') : key('profiles:read');
      expect(evaluateAccess(rule, unverified(caller))).toEqual({ code: 'EMAIL_NOT_VERIFIED' });
      expect(evaluateAccess(rule, unverified(caller), undefined, 'required')).toEqual({ code: 'EMAIL_NOT_VERIFIED' });
      expect(evaluateAccess(rule, caller)).toBeUndefined();
    }
    expect(evaluateAccess(AccessRules.principal(), unverified(key()))).toEqual({ code: 'EMAIL_NOT_VERIFIED' });
  });

  it('admin:all is no verified address: an unverified admin is refused too', () => {
    expect(evaluateAccess(AccessRules.principal(['admin:all']), unverified(session('admin:all')))).toEqual({
      code: 'EMAIL_NOT_VERIFIED',
    });
    expect(evaluateAccess(AccessRules.principal(), unverified(key('admin:all')))).toEqual({
      code: 'EMAIL_NOT_VERIFIED',
    });
  });

  it('a missing or non-boolean emailVerified counts as unverified (fail closed)', () => {
    const { emailVerified: _omitted, ...rest } = session();
    expect(evaluateAccess(AccessRules.principal(), rest as Principal)).toEqual({ code: 'EMAIL_NOT_VERIFIED' });
    expect(
      evaluateAccess(AccessRules.principal(), { ...session(), emailVerified: 'yes' as unknown as boolean }),
    ).toEqual({ code: 'EMAIL_NOT_VERIFIED' });
  });

  it('a rule marked unverifiedEmail admits an unverified session, never an unverified owner’s key', () => {
    const me = allowUnverified(AccessRules.principal(['profiles:read']));
    expect(evaluateAccess(me, unverified(session('profiles:read')))).toBeUndefined();
    expect(evaluateAccess(me, unverified(key('profiles:read')))).toEqual({ code: 'EMAIL_NOT_VERIFIED' });
    expect(evaluateAccess(me, key('profiles:read'))).toBeUndefined();
    // The other checks still apply: scopes first.
    expect(evaluateAccess(me, unverified(session()))).toMatchObject({ code: 'INSUFFICIENT_SCOPES' });
  });

  it('comes before the step-up check: a fresh but unverified session is refused EMAIL_NOT_VERIFIED', () => {
    const fresh: Principal = { ...session('profiles:read_sensitive'), authenticatedAt: new Date(now) };
    const rule = AccessRules.sensitive(['profiles:read_sensitive']);
    expect(evaluateAccess(rule, unverified(fresh), since)).toEqual({ code: 'EMAIL_NOT_VERIFIED' });
    expect(evaluateAccess(rule, fresh, since)).toBeUndefined();
    expect(evaluateAccess(rule, unverified(fresh), since, 'off')).toBeUndefined();
  });

  it("'off' (REQUIRE_VERIFIED_EMAIL=false) turns the check off and nothing else", () => {
    expect(evaluateAccess(AccessRules.principal(), unverified(session()), undefined, 'off')).toBeUndefined();
    expect(evaluateAccess(AccessRules.principal(), unverified(key()), undefined, 'off')).toBeUndefined();
    expect(evaluateAccess(AccessRules.principal(['audit:read']), unverified(key()), undefined, 'off')).toMatchObject({
      code: 'INSUFFICIENT_SCOPES',
    });
    expect(evaluateAccess(AccessRules.session(), unverified(key()), undefined, 'off')).toEqual({
      code: 'SESSION_REQUIRED',
    });
  });

  it('is not asked before the principal is known, nor on public rules', () => {
    expect(evaluateAccess(AccessRules.principal(), 'session')).toBeUndefined();
    expect(evaluateAccess(AccessRules.public(), unverified(session()))).toBeUndefined();
  });
});

describe('accessProblem', () => {
  const problem = (err: DomainException) => toProblem(err, 'req-1').body;

  it('builds each refusal with its code and status', () => {
    expect(problem(accessProblem({ code: 'UNAUTHENTICATED' }))).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
      detail: 'Sign in or present an API key.',
    });
    expect(problem(accessProblem({ code: 'API_KEY_REQUIRED' }))).toMatchObject({
      status: 401,
      code: 'API_KEY_REQUIRED',
    });
    expect(problem(accessProblem({ code: 'SESSION_REQUIRED' }))).toMatchObject({
      status: 403,
      code: 'SESSION_REQUIRED',
    });
    expect(problem(accessProblem({ code: 'RECENT_LOGIN_REQUIRED' }))).toMatchObject({
      status: 403,
      code: 'RECENT_LOGIN_REQUIRED',
      reauthenticate: 'POST /v1/auth/reauthenticate',
      detail: expect.stringContaining('POST /v1/auth/reauthenticate'),
    });
    expect(problem(accessProblem({ code: 'EMAIL_NOT_VERIFIED' }))).toMatchObject({
      status: 403,
      code: 'EMAIL_NOT_VERIFIED',
      resendVerification: 'POST /v1/auth/email/resend',
      detail: expect.stringContaining('POST /v1/auth/email/resend'),
    });
  });

  it('INSUFFICIENT_SCOPES names what is missing and lists required vs held; headers travel apart', () => {
    const denial = evaluateAccess(AccessRules.principal(['profiles:read', 'audit:read']), key('profiles:read'))!;
    const err = accessProblem(denial, ['profiles:read'], { sunset: 'Wed, 25 Nov 2026 09:15:00 GMT' });
    const p = toProblem(err, 'req-1');
    expect(p.body).toMatchObject({
      status: 403,
      code: 'INSUFFICIENT_SCOPES',
      detail: 'Missing scope(s): audit:read',
      requiredScopes: ['profiles:read', 'audit:read'],
      heldScopes: ['profiles:read'],
    });
    expect(p.headers).toEqual({ sunset: 'Wed, 25 Nov 2026 09:15:00 GMT' });
    expect(p.body).not.toHaveProperty('headers');
  });

  it('assertAccess asks for a verified address unless told it is off', () => {
    const unverified: Principal = { ...session('profiles:write'), emailVerified: false };
    const write = AccessRules.principal(['profiles:write']);
    expect(() => assertAccess(unverified, write)).toThrow(expect.objectContaining({ code: 'EMAIL_NOT_VERIFIED' }));
    expect(() => assertAccess(unverified, write, undefined, 'required')).toThrow(
      expect.objectContaining({ code: 'EMAIL_NOT_VERIFIED' }),
    );
    expect(() => assertAccess(unverified, write, undefined, 'off')).not.toThrow();
  });

  it('assertAccess throws the problem for a refused principal and passes an admitted one', () => {
    const reveal = AccessRules.principal(['profiles:read_sensitive']);
    expect(() => assertAccess(session('profiles:read'), reveal)).toThrow(
      expect.objectContaining({
        code: 'INSUFFICIENT_SCOPES',
        extras: expect.objectContaining({ heldScopes: ['profiles:read'] }),
      }),
    );
    expect(() => assertAccess(session('profiles:read_sensitive'), reveal)).not.toThrow();
    expect(() => assertAccess(key('admin:all'), reveal)).not.toThrow();
  });
});
