import { Controller, Get, Header, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/core';
import { AuditQueryService } from './audit-query.service';
import { AuditEventsQueryDto, AuditFilterQueryDto, SecurityActivityQueryDto } from './dto/audit-query.dto';
import { AuditEventPage, SecurityActivityView } from './dto/audit-event.response';

@ApiTags('audit')
@Controller()
export class AuditController {
  constructor(private readonly events: AuditQueryService) {}

  @Get('audit/events')
  @RequireScopes('audit:read')
  @ApiOperation({
    summary: 'Audit events: mine (as actor or target), everyone’s with admin:all; filters; newest first',
    description:
      'A read of other people’s events (admin:all without narrowing to oneself) is itself recorded as `audit.read`.',
  })
  @ApiOkResponse({ type: AuditEventPage, description: 'A page of events, newest first' })
  list(@CurrentPrincipal() p: Principal, @Query() q: AuditEventsQueryDto) {
    return this.events.list(p, q);
  }

  @Get('audit/events/export')
  @RequireScopes('audit:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Every matching event as NDJSON (one JSON event per line, newest first), streamed for a SIEM',
    description:
      'The same filters and visibility as the list; an export of other people’s events is recorded as `audit.export`.',
  })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({
    description: 'One `AuditEventView` JSON object per line',
    content: {
      'application/x-ndjson': { schema: { type: 'string', example: '{"id":"18342","action":"auth.login"}\n' } },
    },
  })
  async export(@CurrentPrincipal() p: Principal, @Query() q: AuditFilterQueryDto) {
    return new StreamableFile(await this.events.export(p, q), { type: 'application/x-ndjson' });
  }

  @Get('me/security-activity')
  @RequireScopes('audit:read')
  @ApiOperation({ summary: 'My security log: recent sign-ins, API key events, password and factor changes' })
  @ApiOkResponse({ type: SecurityActivityView, description: 'Newest first, up to `limit` of each kind' })
  securityActivity(@CurrentPrincipal() p: Principal, @Query() q: SecurityActivityQueryDto) {
    return this.events.securityActivity(p, q.limit);
  }
}
