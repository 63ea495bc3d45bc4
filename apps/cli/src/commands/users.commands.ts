import { AdminUsersService, ImportedUser } from '@app/auth';
import { MfaService } from '@app/mfa';
import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { readPassword } from '../read-secret';

interface EmailOptions {
  email?: string;
  username?: string;
  scope?: string;
  file?: string;
  json?: boolean;
}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new Error(`${flag} is required`);
  return value;
}

function print(json: boolean | undefined, human: string, data: unknown): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`);
}

abstract class UserCommand extends CommandRunner {
  @Option({ flags: '--email <email>', description: "the user's email" })
  parseEmail(v: string): string {
    return v.trim().toLowerCase();
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}

@Command({ name: 'users:create-admin', description: 'Create an admin (password from stdin when piped, else prompted)' })
export class CreateAdminCommand extends UserCommand {
  constructor(private readonly users: AdminUsersService) {
    super();
  }

  async run(_: string[], o: EmailOptions): Promise<void> {
    const email = need(o.email, '--email');
    const username = need(o.username, '--username');
    const password = await readPassword('Password: ');
    const user = await this.users.createAdmin({ email, username, password });
    print(o.json, `admin created: ${user.email} (${user.id})`, user);
  }

  @Option({ flags: '--username <username>', description: '3–32 of a-z 0-9 _ . -' })
  parseUsername(v: string): string {
    return v;
  }
}

@Command({ name: 'users:disable', description: 'Disable a user and end all of its sessions' })
export class DisableUserCommand extends UserCommand {
  constructor(private readonly users: AdminUsersService) {
    super();
  }

  async run(_: string[], o: EmailOptions): Promise<void> {
    const id = await this.users.findIdByEmail(need(o.email, '--email'));
    const result = await this.users.disable(undefined, id);
    print(o.json, `disabled ${o.email}; ${result.sessionsEnded} session(s) ended`, { id, ...result });
  }
}

/** @Injectable so the constructor's parameter types are emitted for the subclasses (they declare none). */
@Injectable()
abstract class ScopeCommand extends UserCommand {
  protected abstract readonly direction: 'add' | 'remove';

  constructor(private readonly users: AdminUsersService) {
    super();
  }

  async run(_: string[], o: EmailOptions): Promise<void> {
    const id = await this.users.findIdByEmail(need(o.email, '--email'));
    const scope = [need(o.scope, '--scope')];
    const user = await this.users.changeScopes(
      undefined,
      id,
      this.direction === 'add' ? scope : [],
      this.direction === 'remove' ? scope : [],
    );
    print(o.json, `${user.email}: ${user.scopes.join(' ')}`, user);
  }

  @Option({ flags: '--scope <scope>', description: 'a scope from the catalogue, e.g. keys:verify' })
  parseScope(v: string): string {
    return v;
  }
}

@Command({ name: 'users:grant', description: 'Grant a scope to a user' })
export class GrantScopeCommand extends ScopeCommand {
  protected readonly direction = 'add';
}

@Command({ name: 'users:revoke-scope', description: 'Remove a scope from a user (their keys lose it at once)' })
export class RevokeScopeCommand extends ScopeCommand {
  protected readonly direction = 'remove';
}

@Command({
  name: 'users:import',
  description: 'Import users from JSON lines {email, username, passwordHash, role?} (bcrypt or Argon2 hashes)',
})
export class ImportUsersCommand extends UserCommand {
  constructor(private readonly users: AdminUsersService) {
    super();
  }

  async run(_: string[], o: EmailOptions): Promise<void> {
    const file = need(o.file, '--file');
    const rows: ImportedUser[] = readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((line, i) => {
        const r = JSON.parse(line) as Partial<ImportedUser>;
        const email = typeof r.email === 'string' ? r.email.trim().toLowerCase() : '';
        if (
          !/^[^@\s]+@[^@\s]+$/.test(email) ||
          typeof r.username !== 'string' ||
          !/^[a-z0-9_.-]{3,32}$/.test(r.username)
        ) {
          throw new Error(`line ${i + 1}: invalid email or username`);
        }
        if (typeof r.passwordHash !== 'string' || !/^(\$2[aby]\$\d\d\$|\$argon2(id|i|d)\$)/.test(r.passwordHash)) {
          throw new Error(`line ${i + 1}: passwordHash must be a bcrypt ($2a/$2b/$2y) or Argon2 PHC string`);
        }
        return {
          email,
          username: r.username,
          passwordHash: r.passwordHash,
          role: r.role === 'admin' ? 'admin' : 'user',
        };
      });
    const result = await this.users.importUsers(rows);
    print(o.json, `imported ${result.imported}, skipped ${result.skipped} (email or username taken)`, result);
  }

  @Option({ flags: '--file <path>', description: 'JSON lines file' })
  parseFile(v: string): string {
    return v;
  }
}

@Command({
  name: 'users:reset-mfa',
  description: "Remove a user's second factors and recovery codes and end its sessions (audited, mailed)",
})
export class ResetMfaCommand extends UserCommand {
  constructor(
    private readonly users: AdminUsersService,
    private readonly mfa: MfaService,
  ) {
    super();
  }

  async run(_: string[], o: EmailOptions): Promise<void> {
    const id = await this.users.findIdByEmail(need(o.email, '--email'));
    const result = await this.mfa.reset(undefined, id);
    print(o.json, `${o.email}: ${result.factorsRemoved} factor(s) removed; ${result.sessionsEnded} session(s) ended`, {
      id,
      ...result,
    });
  }
}
