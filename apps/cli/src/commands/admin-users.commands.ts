import {
  AdminUsersService,
  ChangeEmailDto,
  EmailChangeService,
  ListUsersQueryDto,
  UserAdministrationService,
} from '@app/auth';
import { Injectable } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { wholeNumber } from '../flags';
import { print, table } from '../output';
import { validated } from './keys.commands';

/*
 * User administration from the console, the same operations as /v1/admin/users (issue 21). The operator acts as the
 * system (audited with actor type `system`); the user is mailed as when an admin acts over the API.
 */

interface AdminUserOptions {
  email?: string;
  newEmail?: string;
  q?: string;
  status?: string;
  role?: string;
  verified?: string;
  mfa?: string;
  limit?: number;
  cursor?: string;
  json?: boolean;
}

const yes = (b: boolean) => (b ? 'yes' : 'no');

abstract class AdminUserCommand extends CommandRunner {
  @Option({ flags: '--email <email>', description: "the user's email" })
  parseEmail(v: string): string {
    return v.trim().toLowerCase();
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}

/** A command on one user named by `--email`: `act` runs with its id; `human` prints the answer for a person. */
@Injectable()
abstract class OneUserCommand<T> extends AdminUserCommand {
  constructor(
    protected readonly users: AdminUsersService,
    protected readonly admin: UserAdministrationService,
  ) {
    super();
  }

  protected abstract act(id: string, o: AdminUserOptions): Promise<T>;
  protected abstract human(email: string, result: T): string;

  async run(_: string[], o: AdminUserOptions): Promise<void> {
    if (!o.email) throw new Error('--email is required');
    const id = await this.users.findIdByEmail(o.email);
    const result = await this.act(id, o);
    print(o.json, { id, ...result }, () => this.human(o.email!, result));
  }
}

@Command({
  name: 'users:list',
  description:
    'List users: --q <email or username prefix>, --status active|disabled, --role user|admin, --verified true|false, --mfa true|false, --limit, --cursor',
})
export class UsersListCommand extends AdminUserCommand {
  constructor(private readonly admin: UserAdministrationService) {
    super();
  }

  async run(_: string[], o: AdminUserOptions): Promise<void> {
    const query = validated(ListUsersQueryDto, {
      ...(o.q !== undefined ? { q: o.q } : {}),
      ...(o.status !== undefined ? { status: o.status } : {}),
      ...(o.role !== undefined ? { role: o.role } : {}),
      ...(o.verified !== undefined ? { verified: o.verified } : {}),
      ...(o.mfa !== undefined ? { mfa: o.mfa } : {}),
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      ...(o.cursor !== undefined ? { cursor: o.cursor } : {}),
    });
    const page = await this.admin.list(query);
    print(o.json, page, () => {
      const rows = page.items.map((u) => [
        u.id,
        u.email,
        u.username,
        u.role,
        yes(u.emailVerified),
        u.disabledAt ? 'disabled' : 'active',
        yes(u.mfa),
      ]);
      const lines = [table(['id', 'email', 'username', 'role', 'verified', 'status', 'mfa'], rows)];
      if (page.nextCursor) lines.push(`more: --cursor ${page.nextCursor}`);
      return lines.join('\n');
    });
  }

  @Option({ flags: '--q <prefix>', description: 'email or username prefix' })
  parseQ(v: string): string {
    return v;
  }

  @Option({ flags: '--status <status>', description: 'active or disabled' })
  parseStatus(v: string): string {
    return v;
  }

  @Option({ flags: '--role <role>', description: 'user or admin' })
  parseRole(v: string): string {
    return v;
  }

  @Option({ flags: '--verified <bool>', description: 'true or false' })
  parseVerified(v: string): string {
    return v;
  }

  @Option({ flags: '--mfa <bool>', description: 'true or false' })
  parseMfa(v: string): string {
    return v;
  }

  @Option({ flags: '--limit <n>', description: '1–100 (default 20)' })
  parseLimit(v: string): number {
    return wholeNumber(v);
  }

  @Option({ flags: '--cursor <cursor>', description: 'the previous page’s cursor' })
  parseCursor(v: string): string {
    return v;
  }
}

@Command({ name: 'users:show', description: 'One user: what it holds, its last sign-in, whether it is locked' })
export class UsersShowCommand extends AdminUserCommand {
  constructor(
    private readonly users: AdminUsersService,
    private readonly admin: UserAdministrationService,
  ) {
    super();
  }

  async run(_: string[], o: AdminUserOptions): Promise<void> {
    if (!o.email) throw new Error('--email is required');
    const u = await this.admin.show(await this.users.findIdByEmail(o.email));
    print(o.json, u, () =>
      table(
        ['field', 'value'],
        [
          ['id', u.id],
          ['email', u.email],
          ['username', u.username],
          ['role', u.role],
          ['scopes', u.scopes.join(' ')],
          ['verified', yes(u.emailVerified)],
          ['status', u.disabledAt ? `disabled since ${u.disabledAt}` : 'active'],
          ['mfa', yes(u.mfa)],
          ['locked', yes(u.locked)],
          ['last sign-in', u.lastSignInAt ?? '-'],
          ['pending email', u.pendingEmail ?? '-'],
          ...Object.entries(u.counts).map(([k, v]) => [k, String(v)]),
        ],
        100,
      ),
    );
  }
}

@Command({ name: 'users:enable', description: 'Enable a disabled user again (the user is mailed)' })
export class UsersEnableCommand extends OneUserCommand<{ enabled: true }> {
  protected act(id: string) {
    return this.admin.enable(undefined, id);
  }
  protected human(email: string) {
    return `enabled ${email}`;
  }
}

@Command({ name: 'users:unlock', description: 'Lift every sign-in lockout of a user (the user is mailed)' })
export class UsersUnlockCommand extends OneUserCommand<{ countersCleared: number }> {
  protected act(id: string) {
    return this.admin.unlock(undefined, id);
  }
  protected human(email: string, r: { countersCleared: number }) {
    return `unlocked ${email}; ${r.countersCleared} lockout counter(s) cleared`;
  }
}

@Command({
  name: 'users:force-password-reset',
  description: 'End every session of a user and mail it a password reset link',
})
export class UsersForcePasswordResetCommand extends OneUserCommand<{ sessionsEnded: number; mailQueued: boolean }> {
  protected act(id: string) {
    return this.admin.forcePasswordReset(undefined, id);
  }
  protected human(email: string, r: { sessionsEnded: number; mailQueued: boolean }) {
    return `${email}: ${r.sessionsEnded} session(s) ended; reset mail ${r.mailQueued ? 'queued' : 'NOT queued (hourly mail limit)'}`;
  }
}

@Command({
  name: 'users:end-everything',
  description: 'End every session, API key and device token of a user (the user is mailed)',
})
export class UsersEndEverythingCommand extends OneUserCommand<{
  sessionsEnded: number;
  apiKeysRevoked: number;
  devicesRevoked: number;
}> {
  protected act(id: string) {
    return this.admin.endEverything(undefined, id);
  }
  protected human(email: string, r: { sessionsEnded: number; apiKeysRevoked: number; devicesRevoked: number }) {
    return `${email}: ${r.sessionsEnded} session(s), ${r.apiKeysRevoked} API key(s), ${r.devicesRevoked} device(s) ended`;
  }
}

@Command({
  name: 'users:change-email',
  description: "Change a user's email (--email old --new-email new): it takes effect when the new address confirms it",
})
export class UsersChangeEmailCommand extends AdminUserCommand {
  constructor(
    private readonly users: AdminUsersService,
    private readonly emails: EmailChangeService,
  ) {
    super();
  }

  async run(_: string[], o: AdminUserOptions): Promise<void> {
    if (!o.email) throw new Error('--email is required');
    const dto = validated(ChangeEmailDto, { email: o.newEmail ?? '' });
    const id = await this.users.findIdByEmail(o.email);
    const result = await this.emails.request(undefined, id, dto.email);
    print(o.json, { id, ...result }, () => `${o.email}: a confirmation link went to ${result.pendingEmail}`);
  }

  @Option({ flags: '--new-email <email>', description: 'the new address' })
  parseNewEmail(v: string): string {
    return v;
  }
}
