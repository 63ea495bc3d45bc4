import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiIdParam,
  ApiProblems,
  CoreErrorCode,
  CurrentPrincipal,
  Principal,
  RequireScopes,
  RequireSession,
  UuidPipe,
} from '@app/core';
import { ApiKeysService } from './api-keys.service';
import {
  CreateApiKeyDto,
  EventsPageQueryDto,
  ListApiKeysQueryDto,
  RotateApiKeyDto,
  UpdateApiKeyDto,
} from './dto/api-key.dto';
import type { FastifyRequest } from 'fastify';
import {
  ApiKeyPage,
  ApiKeyView,
  CreatedApiKeyView,
  RevokedAllApiKeysView,
  RotatedApiKeyView,
} from './dto/api-key.response';
import { ApiKeyUsageView } from './dto/key-usage.response';
import { KeyReportsService } from './key-reports.service';
import { ApiKeyErrorCode } from './api-key-error-codes';

const uuid = new UuidPipe();

/** One's own keys, managed from a signed-in session (a key never mints or changes keys); admin:all manages anyone's. */
@ApiTags('api-keys')
@Controller('api-keys')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly reports: KeyReportsService,
  ) {}

  @Post()
  @RequireSession()
  @ApiOperation({
    summary: 'Create a key: the full key is in this answer only (a sensitive scope needs a recent authentication)',
    description: 'The owner is mailed a notice (name, prefix, scopes, the creating client’s address) in any case.',
  })
  @ApiCreatedResponse({
    type: CreatedApiKeyView,
    description: 'The new key, with the full secret `key` (shown this once)',
  })
  @ApiProblems(ApiKeyErrorCode.SCOPE_NOT_HELD, ApiKeyErrorCode.KEY_LIMIT_REACHED, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateApiKeyDto, @Req() req: FastifyRequest) {
    return this.keys.create(p, dto, req.ip);
  }

  @Post('revoke-all')
  @RequireSession()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke every live key of mine at once (e.g. after a password change)',
    description:
      'Active keys and keys in a rotation grace period are revoked for good in one transaction, on every instance; ' +
      'only the caller’s own keys, also for an administrator.',
  })
  @ApiOkResponse({ type: RevokedAllApiKeysView, description: 'How many keys were revoked, and which' })
  revokeAll(@CurrentPrincipal() p: Principal) {
    return this.keys.revokeAllMine(p);
  }

  @Get()
  @RequireSession()
  @ApiOperation({
    summary: 'My keys (never the secret); filter by status, sort by createdAt, expiresAt, lastUsedAt or name',
  })
  @ApiOkResponse({
    type: ApiKeyPage,
    description: 'A page of keys (empty for another user’s `ownerId` without admin:all)',
  })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListApiKeysQueryDto) {
    return this.keys.list(p, q);
  }

  @Get(':id')
  @RequireSession()
  @ApiOperation({ summary: 'One key' })
  @ApiOkResponse({ type: ApiKeyView, description: 'The key (never the secret)' })
  @ApiProblems(ApiKeyErrorCode.API_KEY_NOT_FOUND)
  @ApiIdParam('id', 'The key’s `id` (a UUID, not its public prefix)', '5e419f66-fe3b-4b0d-92e1-388db75b8dde')
  get(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string) {
    return this.keys.get(p, id);
  }

  @Patch(':id')
  @RequireSession()
  @ApiOperation({ summary: 'Change name, allowlist, limits or quota; scopes can only be narrowed' })
  @ApiOkResponse({ type: ApiKeyView, description: 'The key as changed' })
  @ApiProblems(
    ApiKeyErrorCode.API_KEY_NOT_FOUND,
    ApiKeyErrorCode.API_KEY_NOT_ACTIVE,
    ApiKeyErrorCode.SCOPES_CAN_ONLY_NARROW,
  )
  @ApiIdParam('id', 'The key’s `id` (a UUID, not its public prefix)', '5e419f66-fe3b-4b0d-92e1-388db75b8dde')
  update(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string, @Body() dto: UpdateApiKeyDto) {
    return this.keys.update(p, id, dto);
  }

  @Post(':id/rotate')
  @RequireSession()
  @HttpCode(201)
  @ApiOperation({
    summary:
      'A new key with the same settings; the old one works until the grace period ends (a key with a sensitive scope needs a recent authentication)',
  })
  @ApiCreatedResponse({
    type: RotatedApiKeyView,
    description: 'The successor, with its full secret `key` (shown this once), and the old key as `previous`',
  })
  @ApiProblems(
    ApiKeyErrorCode.API_KEY_NOT_FOUND,
    ApiKeyErrorCode.API_KEY_NOT_ACTIVE,
    ApiKeyErrorCode.KEY_LIMIT_REACHED,
    CoreErrorCode.RECENT_LOGIN_REQUIRED,
  )
  @ApiIdParam('id', 'The key’s `id` (a UUID, not its public prefix)', '5e419f66-fe3b-4b0d-92e1-388db75b8dde')
  rotate(
    @CurrentPrincipal() p: Principal,
    @Param('id', uuid) id: string,
    @Body() dto: RotateApiKeyDto,
    @Req() req: FastifyRequest,
  ) {
    return this.keys.rotate(p, id, dto.gracePeriodHours, req.ip);
  }

  @Delete(':id')
  @RequireSession()
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke at once and for good' })
  @ApiNoContentResponse({ description: 'Revoked (also when it already was)' })
  @ApiProblems(ApiKeyErrorCode.API_KEY_NOT_FOUND)
  @ApiIdParam('id', 'The key’s `id` (a UUID, not its public prefix)', '5e419f66-fe3b-4b0d-92e1-388db75b8dde')
  revoke(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string) {
    return this.keys.revoke(p, id);
  }

  @Get(':id/usage')
  @RequireScopes('audit:read')
  @ApiOperation({ summary: 'Requests, outcomes and days (last 30), last use, and the key’s audit events (paged)' })
  @ApiOkResponse({ type: ApiKeyUsageView, description: 'Usage of the key and a page of its audit events' })
  @ApiProblems(ApiKeyErrorCode.API_KEY_NOT_FOUND)
  @ApiIdParam('id', 'The key’s `id` (a UUID, not its public prefix)', '5e419f66-fe3b-4b0d-92e1-388db75b8dde')
  usage(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string, @Query() q: EventsPageQueryDto) {
    return this.reports.usageOf(p, id, q);
  }
}
