import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { AccountData, AccountDataPart, ErasureSubject } from './account-data';

const principal: Principal = { kind: 'session', emailVerified: true, userId: 'u1', role: 'user', scopes: [] };
const subject: ErasureSubject = { userId: 'u1', email: 'a@example.com', pseudonym: 'erased-0011223344556677' };
const em = {} as EntityManager;

function part(name: string, order: number, log: string[], extra: Partial<AccountDataPart> = {}): AccountDataPart {
  return {
    name,
    order,
    export: async (p) => {
      log.push(`export ${name}`);
      return [`${name} of ${p.userId}`];
    },
    erase: async (s, manager) => {
      log.push(`erase ${name} ${s.pseudonym} ${manager === em ? 'in the transaction' : 'outside'}`);
    },
    ...extra,
  };
}

describe('AccountData', () => {
  it('exports the parts in ascending order, keyed by name in that order; parts without export are left out', async () => {
    const log: string[] = [];
    const registry = new AccountData();
    registry.register(part('sessions', 40, log));
    registry.register(part('account', 10, log));
    registry.register(part('outbox', 45, log, { export: undefined }));
    registry.register(part('profile', 20, log));
    const document = await registry.export(principal);
    expect(Object.keys(document)).toEqual(['account', 'profile', 'sessions']);
    expect(document.account).toEqual(['account of u1']);
    expect(log).toEqual(['export account', 'export profile', 'export sessions']);
  });

  it('erases in reverse order inside the given transaction (the account last) and merges the facts parts report', async () => {
    const log: string[] = [];
    const registry = new AccountData();
    registry.register(part('account', 10, log));
    registry.register(
      part('auditEvents', 50, log, {
        erase: async () => {
          log.push('erase auditEvents');
          return { auditEventsPseudonymised: 3, v1EventsKept: 1 };
        },
      }),
    );
    registry.register(part('outbox', 45, log));
    registry.register(part('apiKeys', 30, log, { erase: undefined }));
    expect(await registry.erase(subject, em)).toEqual({ auditEventsPseudonymised: 3, v1EventsKept: 1 });
    expect(log).toEqual([
      'erase auditEvents',
      'erase outbox erased-0011223344556677 in the transaction',
      'erase account erased-0011223344556677 in the transaction',
    ]);
  });

  it('a failing part stops the erasure (the caller rolls the transaction back)', async () => {
    const log: string[] = [];
    const registry = new AccountData();
    registry.register(part('account', 10, log));
    registry.register(part('outbox', 45, log, { erase: () => Promise.reject(new Error('disk full')) }));
    await expect(registry.erase(subject, em)).rejects.toThrow('disk full');
    expect(log).toEqual([]);
  });

  it('counts the items of the parts marked for the export audit, in order', async () => {
    const registry = new AccountData();
    registry.register(part('auditEvents', 50, [], { countedInExportAudit: true }));
    registry.register(part('sessions', 40, []));
    registry.register(part('apiKeys', 30, [], { countedInExportAudit: true }));
    const counts = registry.exportCounts({ apiKeys: [1, 2], sessions: [1], auditEvents: [1, 2, 3] });
    expect(counts).toEqual({ apiKeys: 2, auditEvents: 3 });
    expect(Object.keys(counts)).toEqual(['apiKeys', 'auditEvents']);
  });

  it('refuses a part name twice and a second owner check; without one, an erasure cannot be confirmed', async () => {
    const registry = new AccountData();
    registry.register(part('account', 10, []));
    expect(() => registry.register(part('account', 11, []))).toThrow(/twice/);
    expect(() => registry.confirmOwner('u1', 'pw', 'account.erase')).toThrow(/no account owner check/);
    const check = {
      confirmPassword: jest.fn(async () => ({ email: 'a@example.com' })),
      mailAddressOf: jest.fn(async (id: string) => (id === 'u1' ? 'a@example.com' : null)),
    };
    expect(await registry.mailAddressOf('u1')).toBeNull(); // nobody registered yet
    registry.registerOwnerCheck(check);
    expect(() => registry.registerOwnerCheck(check)).toThrow(/already/);
    await expect(registry.confirmOwner('u1', 'pw', 'account.erase', 's1')).resolves.toEqual({
      email: 'a@example.com',
    });
    expect(check.confirmPassword).toHaveBeenCalledWith('u1', 'pw', 'account.erase', 's1');
    expect(await registry.mailAddressOf('u1')).toBe('a@example.com');
    expect(await registry.mailAddressOf('gone')).toBeNull();
  });
});
