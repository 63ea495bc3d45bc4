import { Body, Controller, Get, Header, HttpCode, Post, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiProblems,
  CoreErrorCode,
  CurrentPrincipal,
  Principal,
  RequireApiKey,
  RequireScopes,
  ScopesFromHeader,
} from '@app/core';
import type { FastifyReply } from 'fastify';
import { VerifyKeyDto } from './dto/api-key.dto';
import { KeyVerificationView } from './dto/key-verification.response';
import { KeyVerificationService } from './key-verification.service';

/** What an introspection answer tells nginx (`auth_request_set $key_id $upstream_http_x_key_id;` …). */
const INTROSPECT_HEADERS = {
  'X-Key-Id': {
    description: 'The key’s `id`',
    schema: { type: 'string', format: 'uuid', example: '5e419f66-fe3b-4b0d-92e1-388db75b8dde' },
  },
  'X-Owner-Id': {
    description: 'The user the key acts for',
    schema: { type: 'string', format: 'uuid', example: '6cf5cc0c-fe00-40ac-9752-930e72e6b6f7' },
  },
  'X-Scopes': {
    description: 'What the key may do now (its scopes its owner still holds), space-separated; empty when none',
    schema: { type: 'string', example: 'certificates:read profiles:read' },
  },
  'Cache-Control': { description: 'Never cached', schema: { type: 'string', example: 'no-store' } },
  'RateLimit-Limit': {
    description: 'Only for a key with a rate limit: requests per window',
    schema: { type: 'integer', example: 100 },
  },
  'RateLimit-Remaining': {
    description: 'Only for a key with a rate limit: requests left now',
    schema: { type: 'integer', example: 99 },
  },
  'RateLimit-Reset': {
    description: 'Only for a key with a rate limit: seconds until the full limit is available again',
    schema: { type: 'integer', example: 1 },
  },
  'X-Api-Key-Status': {
    description: 'Only during the key’s rotation grace period',
    schema: { type: 'string', enum: ['grace-period'], example: 'grace-period' },
  },
  Sunset: {
    description: 'Only during the key’s rotation grace period: when the key stops working (RFC 8594)',
    schema: { type: 'string', example: 'Wed, 25 Nov 2026 09:15:00 GMT' },
  },
};

@ApiTags('api-keys')
@Controller()
export class KeyVerificationController {
  constructor(private readonly verification: KeyVerificationService) {}

  @Post('keys/verify')
  @RequireScopes('keys:verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify a key for another service: always 200 with {valid, code, …}' })
  @ApiOkResponse({
    type: KeyVerificationView,
    description: 'The verdict, valid or not; key details only when the secret matched a real key',
  })
  verify(@Body() dto: VerifyKeyDto, @CurrentPrincipal() caller: Principal) {
    return this.verification.verify(dto, caller);
  }

  @Get('auth/introspect')
  @RequireApiKey()
  @ScopesFromHeader('x-required-scopes') // what nginx asks for: proxy_set_header X-Required-Scopes "profiles:read";
  @HttpCode(204)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'For nginx auth_request: 204 with X-Key-Id, X-Owner-Id and X-Scopes when the key is valid' })
  @ApiNoContentResponse({
    description: 'The key is valid; who it is travels in headers, the body is empty',
    headers: INTROSPECT_HEADERS,
  })
  @ApiProblems(CoreErrorCode.API_KEY_REQUIRED)
  introspect(@CurrentPrincipal() p: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.headers({ 'x-key-id': p.keyId, 'x-owner-id': p.userId, 'x-scopes': p.scopes.join(' ') });
  }
}
