import { ApiKeysService, ApiKeyView, CreateApiKeyDto, RotateApiKeyDto } from '@app/api-keys';
import { AdminUsersService, AuthService } from '@app/auth';
import { ADMIN_SCOPE, Principal } from '@app/core';
import { plainToInstance } from 'class-transformer';
import { isUUID, validateSync } from 'class-validator';
import { Command, CommandRunner, Option } from 'nest-commander';
import { wholeNumber } from '../flags';
import { print, table } from '../output';

interface KeyOptions {
  email?: string;
  name?: string;
  scopes?: string[];
  expiresInDays?: number;
  status?: string;
  graceHours?: number;
  json?: boolean;
}

function requireKeyId(id: string | undefined): string {
  if (!id || !isUUID(id)) throw new Error('the key id must be a UUID (see keys:list)');
  return id.toLowerCase();
}

/** Runs class-validator on a request DTO as the API would; the first problems become the one error line. */
export function validated<T extends object>(cls: new () => T, plain: object): T {
  const dto = plainToInstance(cls, plain);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) throw new Error(errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; '));
  return dto;
}

/** The operator at the console acts as an administrator (it can reach the database anyway); audited under the all-zero user id. */
const OPERATOR: Principal = {
  kind: 'session',
  emailVerified: true, // the operator is no account: nothing to verify
  userId: '00000000-0000-0000-0000-000000000000',
  role: 'admin',
  scopes: [ADMIN_SCOPE],
};

abstract class KeysCommand extends CommandRunner {
  @Option({ flags: '--email <email>', description: "the key owner's email" })
  parseEmail(v: string): string {
    return v.trim().toLowerCase();
  }

  @Option({ flags: '--json', description: 'machine-readable output' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'keys:issue',
  description:
    "Issue an API key for a user (shown once): --email, --name, --scopes a,b (within the user's scopes), --expires-in-days",
})
export class KeysIssueCommand extends KeysCommand {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly users: AdminUsersService,
    private readonly auth: AuthService,
  ) {
    super();
  }

  async run(_: string[], o: KeyOptions): Promise<void> {
    if (!o.email) throw new Error('--email is required');
    const user = await this.auth.me(await this.users.findIdByEmail(o.email));
    const dto = validated(CreateApiKeyDto, {
      name: o.name ?? 'issued by the admin CLI',
      scopes: o.scopes ?? [],
      ...(o.expiresInDays !== undefined ? { expiresInDays: o.expiresInDays } : {}),
    });
    // Issued as the owner would create it: the scopes must be ones the owner holds.
    const created = await this.keys.create(
      {
        kind: 'session',
        emailVerified: user.emailVerified,
        userId: user.id,
        role: user.role as Principal['role'],
        scopes: user.scopes,
      },
      dto,
      null,
      { kind: 'operator' },
    );
    if (o.json) process.stdout.write(`${JSON.stringify(created)}\n`);
    else
      process.stdout.write(
        `${created.key}\n  id ${created.id}  owner ${user.email}  scopes ${created.scopes.join(' ') || '(none)'}  expires ${created.expiresAt}\n  ${created.warning}\n`,
      );
  }

  @Option({ flags: '--name <name>', description: 'a label for the key' })
  parseName(v: string): string {
    return v;
  }

  @Option({ flags: '--scopes <list>', description: 'comma-separated scopes, e.g. profiles:read,certificates:read' })
  parseScopes(v: string): string[] {
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  @Option({ flags: '--expires-in-days <n>', description: '1–365 (default 90)' })
  parseDays(v: string): number {
    return wholeNumber(v);
  }
}

@Command({
  name: 'keys:list',
  description:
    "A user's API keys (--email; --status active|rotating|revoked|expired): prefix, name, scopes, status, expiry, last use",
})
export class KeysListCommand extends KeysCommand {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly users: AdminUsersService,
  ) {
    super();
  }

  async run(_: string[], o: KeyOptions): Promise<void> {
    if (!o.email) throw new Error('--email is required');
    const ownerId = await this.users.findIdByEmail(o.email);
    const items: ApiKeyView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.keys.list(OPERATOR, { ownerId, limit: 100, cursor, status: o.status as never });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    print(o.json, items, () =>
      table(
        ['id', 'prefix', 'status', 'expires', 'last used', 'name', 'scopes'],
        items.map((k) => [
          k.id,
          k.prefix,
          k.status,
          k.expiresAt?.slice(0, 10) ?? 'never',
          k.lastUsedAt?.slice(0, 16) ?? 'never',
          k.name,
          k.scopes.join(' '),
        ]),
        80,
      ),
    );
  }

  @Option({ flags: '--status <status>', description: 'only keys in this state' })
  parseStatus(v: string): string {
    if (!['active', 'rotating', 'revoked', 'expired'].includes(v))
      throw new Error('--status must be active, rotating, revoked or expired');
    return v;
  }
}

@Command({
  name: 'keys:revoke',
  arguments: '<id>',
  description: 'Revoke an API key at once on every instance (its owner is notified)',
})
export class KeysRevokeCommand extends KeysCommand {
  constructor(private readonly keys: ApiKeysService) {
    super();
  }

  async run([raw]: string[], o: KeyOptions): Promise<void> {
    const id = requireKeyId(raw);
    await this.keys.revoke(OPERATOR, id);
    const key = await this.keys.get(OPERATOR, id);
    process.stdout.write(
      o.json ? `${JSON.stringify(key)}\n` : `revoked ${key.prefix} (${key.name}) at ${key.revokedAt}\n`,
    );
  }
}

@Command({
  name: 'keys:rotate',
  arguments: '<id>',
  description:
    'Rotate an API key: its successor is printed once; the old key keeps working for --grace-hours (0–72, default 48)',
})
export class KeysRotateCommand extends KeysCommand {
  constructor(private readonly keys: ApiKeysService) {
    super();
  }

  async run([raw]: string[], o: KeyOptions): Promise<void> {
    const id = requireKeyId(raw);
    const dto = validated(RotateApiKeyDto, o.graceHours !== undefined ? { gracePeriodHours: o.graceHours } : {});
    const rotated = await this.keys.rotate(OPERATOR, id, dto.gracePeriodHours, null, { kind: 'operator' });
    if (o.json) process.stdout.write(`${JSON.stringify(rotated)}\n`);
    else
      process.stdout.write(
        `${rotated.key}\n  id ${rotated.id}  replaces ${rotated.previous.prefix}, which works until ${rotated.previous.graceEndsAt ?? 'now (revoked)'}\n  ${rotated.warning}\n`,
      );
  }

  @Option({
    flags: '--grace-hours <n>',
    description: 'hours the old key keeps working, 0–72 (default 48; 0 stops it at once)',
  })
  parseGrace(v: string): number {
    return wholeNumber(v);
  }
}
