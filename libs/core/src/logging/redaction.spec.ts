import { redactDeep, safeUrl } from './redaction';

describe('redaction', () => {
  it('censors sensitive keys at any depth', () => {
    const out = redactDeep({ user: { email: 'a@b.c', password: 'p', nested: [{ apiKey: 'k', token: 't' }] }, authorization: 'Bearer x' });
    expect(JSON.stringify(out)).not.toMatch(/"p"|"k"|"t"|Bearer/);
    expect(out).toMatchObject({ user: { email: 'a@b.c' } });
  });

  it('drops query values from logged URLs', () => {
    expect(safeUrl('/v1/x?token=abc&page=2')).toBe('/v1/x?token=[REDACTED]&page=[REDACTED]');
    expect(safeUrl('/v1/x')).toBe('/v1/x');
  });
});
