import type { EntityManager } from 'typeorm';
import { CredentialRevocation, CredentialRevoker, StandingCredential } from './credential-revocation';

const em = {} as EntityManager;
const cred = (id: string): StandingCredential => ({ id, name: `key ${id}`, prefix: `sk_live_${id}`, scopes: ['a'] });

function revoker(name: string, live: Record<string, StandingCredential[]>, log: string[]): CredentialRevoker {
  return {
    name,
    listLive: async (userId, manager) => {
      log.push(`list ${name} ${userId} ${manager === em ? 'in the transaction' : 'outside'}`);
      return live[userId] ?? [];
    },
    revokeAll: async (userId, reason, manager) => {
      log.push(`revoke ${name} ${userId} ${reason} ${manager === em ? 'in the transaction' : 'outside'}`);
      const revoked = live[userId] ?? [];
      live[userId] = [];
      return { revoked, afterCommit: () => log.push(`committed ${name}`) };
    },
  };
}

describe('CredentialRevocation', () => {
  it('with nothing registered lists nothing and revokes nothing', async () => {
    const registry = new CredentialRevocation();
    expect(await registry.listLive('u1')).toEqual([]);
    const outcome = await registry.revokeAll('u1', 'password_reset', em);
    expect(outcome.revoked).toEqual([]);
    expect(() => outcome.afterCommit()).not.toThrow();
  });

  it('lists and revokes across every registered context, in the given transaction, for that user only', async () => {
    const log: string[] = [];
    const registry = new CredentialRevocation();
    const keys = { u1: [cred('a'), cred('b')], u2: [cred('c')] };
    registry.register(revoker('apiKeys', keys, log));
    registry.register(revoker('tokens', { u1: [cred('t')] }, log));
    expect((await registry.listLive('u1', em)).map((c) => c.id)).toEqual(['a', 'b', 't']);
    const outcome = await registry.revokeAll('u1', 'password_reset', em);
    expect(outcome.revoked.map((c) => c.id)).toEqual(['a', 'b', 't']);
    expect(keys.u2.map((c) => c.id)).toEqual(['c']);
    expect(log).toEqual([
      'list apiKeys u1 in the transaction',
      'list tokens u1 in the transaction',
      'revoke apiKeys u1 password_reset in the transaction',
      'revoke tokens u1 password_reset in the transaction',
    ]);
  });

  it('runs no context’s after-commit step until the caller says the transaction committed, then each once', async () => {
    const log: string[] = [];
    const registry = new CredentialRevocation();
    registry.register(revoker('apiKeys', { u1: [cred('a')] }, log));
    registry.register(revoker('tokens', {}, log));
    const outcome = await registry.revokeAll('u1', 'owner', em);
    expect(log.filter((l) => l.startsWith('committed'))).toEqual([]);
    outcome.afterCommit();
    expect(log.filter((l) => l.startsWith('committed'))).toEqual(['committed apiKeys', 'committed tokens']);
  });

  it('a failing context fails the whole revocation (the caller rolls its transaction back)', async () => {
    const registry = new CredentialRevocation();
    registry.register({
      name: 'broken',
      listLive: async () => [],
      revokeAll: async () => {
        throw new Error('database down');
      },
    });
    await expect(registry.revokeAll('u1', 'password_reset', em)).rejects.toThrow('database down');
  });

  it('refuses the same context twice', () => {
    const registry = new CredentialRevocation();
    registry.register(revoker('apiKeys', {}, []));
    expect(() => registry.register(revoker('apiKeys', {}, []))).toThrow(/twice/);
  });
});
