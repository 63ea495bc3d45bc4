import { canonicalJson, chainHash, GENESIS_HASH } from './audit-chain';

const row = {
  id: '1',
  occurredAt: new Date('2026-01-01T00:00:00.000Z'),
  actorType: 'user',
  actorId: 'u1',
  action: 'auth.login',
  targetType: null,
  targetId: null,
  outcome: 'success',
  ip: '127.0.0.1',
  userAgent: null,
  requestId: 'r1',
  details: { b: 1, a: { d: [1, 2], c: 'x' } },
};

describe('audit chain', () => {
  it('serialises objects with sorted keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });

  it('changes the hash when any field or the previous hash changes', () => {
    const h = chainHash(GENESIS_HASH, row);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(GENESIS_HASH, { ...row, details: { a: { c: 'x', d: [1, 2] }, b: 1 } })).toBe(h);
    expect(chainHash(GENESIS_HASH, { ...row, outcome: 'failure' })).not.toBe(h);
    expect(chainHash('f'.repeat(64), row)).not.toBe(h);
  });
});
