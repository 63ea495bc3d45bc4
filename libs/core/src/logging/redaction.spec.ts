import { redactDeep, safeUrl } from './redaction';

describe('redaction', () => {
  it('censors sensitive keys at any depth', () => {
    const out = redactDeep({
      user: { email: 'a@b.c', password: 'p', nested: [{ apiKey: 'k', token: 't' }] },
      authorization: 'Bearer x',
    });
    expect(JSON.stringify(out)).not.toMatch(/"p"|"k"|"t"|Bearer/);
    expect(out).toMatchObject({ user: { email: 'a@b.c' } });
  });

  it('drops query values from logged URLs', () => {
    expect(safeUrl('/v1/x?token=abc&page=2')).toBe('/v1/x?token=[REDACTED]&page=[REDACTED]');
    expect(safeUrl('/v1/x')).toBe('/v1/x');
  });

  it('masks API keys and long opaque tokens pasted into a path, and cuts long paths', () => {
    const key = `sk_live_AbCdEfGhIjKl_${'x'.repeat(49)}`;
    expect(safeUrl(`/v1/api-keys/${key}/rotate`)).toBe('/v1/api-keys/sk_live_[REDACTED]/rotate');
    expect(safeUrl(`/v1/sessions/${'A'.repeat(43)}?q=1`)).toBe('/v1/sessions/[REDACTED]?q=[REDACTED]');
    expect(safeUrl('/v1/certificates/0f9c1d2e-3a4b-4c6d-8e8f-90a1b2c3d4e5')).toBe(
      '/v1/certificates/0f9c1d2e-3a4b-4c6d-8e8f-90a1b2c3d4e5',
    );
    expect(safeUrl(`/v1/${'a/'.repeat(400)}`).length).toBeLessThanOrEqual(301);
  });
});
