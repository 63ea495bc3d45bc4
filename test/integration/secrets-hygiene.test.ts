import { assertNoSecretsLogged } from '../support/app';

/**
 * Every app a test starts is checked on stop by assertNoSecretsLogged (test/support/app.ts), so the whole suite's logs
 * are searched for configured secrets, API keys and bearer credentials. This proves the check itself can fail.
 */
describe('secrets hygiene of logs', () => {
  const secret = 'v1:c2VjcmV0LWtleS1tYXRlcmlhbC0wMTIzNDU2Nzg5YWJj';

  it('refuses a log holding a configured secret, an API key or a bearer credential', () => {
    expect(() =>
      assertNoSecretsLogged('{"msg":"boot","keys":"c2VjcmV0LWtleS1tYXRlcmlhbC0wMTIzNDU2Nzg5YWJj"}', [secret]),
    ).toThrow('configured secret');
    expect(() => assertNoSecretsLogged(`{"msg":"x","key":"sk_live_AbCdEfGhIjKl_${'x'.repeat(49)}"}`, [])).toThrow(
      'API key',
    );
    expect(() =>
      assertNoSecretsLogged('{"headers":{"authorization":"Bearer abcdefghijklmnopqrstuvwxyz0123456789"}}', []),
    ).toThrow('bearer');
  });

  it('accepts logs with redacted values and key prefixes only', () => {
    expect(() =>
      assertNoSecretsLogged('{"msg":"x","authorization":"[Redacted]","prefix":"sk_live_AbCdEfGhIjKl"}', [secret]),
    ).not.toThrow();
  });
});
