import { AccountCounts } from './account-counts';

describe('AccountCounts', () => {
  it('answers every registered count by name, sorted; a name registers once', async () => {
    const counts = new AccountCounts();
    counts.register({ name: 'certificates', count: async (id) => (id === 'u1' ? 3 : 0) });
    counts.register({ name: 'apiKeys', count: async () => 2 });
    expect(Object.entries(await counts.of('u1'))).toEqual([
      ['apiKeys', 2],
      ['certificates', 3],
    ]);
    expect(() => counts.register({ name: 'apiKeys', count: async () => 0 })).toThrow('registered twice');
  });

  it('existsSql: the counter’s condition in parentheses, FALSE without one', () => {
    const counts = new AccountCounts();
    expect(counts.existsSql('factors', 'u.id')).toBe('FALSE');
    counts.register({
      name: 'factors',
      count: async () => 0,
      existsSql: (c) => `EXISTS (SELECT 1 FROM f WHERE f.user_id = ${c})`,
    });
    expect(counts.existsSql('factors', 'u.id')).toBe('(EXISTS (SELECT 1 FROM f WHERE f.user_id = u.id))');
  });
});
