import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditService } from '@app/audit';
import { applyKeyset, CursorCodec, Page, Principal, sortValue } from '@app/core';
import { DataSource } from 'typeorm';
import { userView } from './auth.service';
import { AdminUserView, ListUsersQueryDto } from './dto/admin-users.dto';
import { User } from './entities/user.entity';

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The admin's list of users (admin:all): search by email or username prefix, filter by status, role and verification;
 * newest first, keyset pages. Every read is audited (`admin.user_list`, with the filters and how many were shown).
 */
@Injectable()
export class AdminUsersQueryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cursors: CursorCodec,
    private readonly audit: AuditService,
  ) {}

  async list(p: Principal, q: ListUsersQueryDto): Promise<Page<AdminUserView>> {
    const limit = q.limit ?? 20;
    const filters = { q: q.q ?? null, status: q.status ?? null, role: q.role ?? null, verified: q.verified ?? null };
    const context = `admin-users|-createdAt|${JSON.stringify(filters)}`;
    const qb = this.dataSource.getRepository(User).createQueryBuilder('u');
    if (q.q) {
      const prefix = `${escapeLike(q.q.trim().toLowerCase())}%`;
      qb.andWhere(`(u.email LIKE :prefix ESCAPE '\\' OR u.username LIKE :prefix ESCAPE '\\')`, { prefix });
    }
    if (q.status === 'disabled') qb.andWhere('u.disabledAt IS NOT NULL');
    if (q.status === 'active') qb.andWhere('u.disabledAt IS NULL');
    if (q.role) qb.andWhere('u.role = :role', { role: q.role });
    if (q.verified === 'true') qb.andWhere('u.emailVerifiedAt IS NOT NULL');
    if (q.verified === 'false') qb.andWhere('u.emailVerifiedAt IS NULL');
    const after = this.cursors.decode(context, q.cursor);
    const rows = await applyKeyset(qb, { column: 'u.createdAt', idColumn: 'u.id', desc: true }, after)
      .limit(limit + 1)
      .getMany();
    const page = this.cursors.page(
      context,
      rows,
      limit,
      (u) => ({ value: sortValue(u.createdAt), id: u.id }),
      (u) => ({ ...userView(u), disabledAt: u.disabledAt?.toISOString() ?? null }),
    );
    await this.audit.record({
      action: 'admin.user_list',
      outcome: 'success',
      actorType: p.kind === 'apiKey' ? 'api_key' : 'user',
      actorId: p.userId,
      details: { filters, returned: page.items.length },
    });
    return page;
  }
}
