import { Body, Controller, Get, Header, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, CurrentPrincipal, Principal, RequireScopes } from '@app/core';
import type { FastifyReply } from 'fastify';
import { RequireApiKey } from './api-key.guard';
import { VerifyKeyDto } from './dto/api-key.dto';
import { KeyVerificationService } from './key-verification.service';
import { ApiKeyErrorCode } from './api-key-error-codes';

@ApiTags('api-keys')
@Controller()
export class KeyVerificationController {
  constructor(private readonly verification: KeyVerificationService) {}

  @Post('keys/verify')
  @RequireScopes('keys:verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify a key for another service: always 200 with {valid, code, …}' })
  verify(@Body() dto: VerifyKeyDto) {
    return this.verification.verify(dto.key, dto.requiredScopes, dto.ip);
  }

  @Get('auth/introspect')
  @RequireApiKey()
  @HttpCode(204)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'For nginx auth_request: 204 with X-Key-Id, X-Owner-Id and X-Scopes when the key is valid' })
  @ApiProblems(ApiKeyErrorCode.API_KEY_REQUIRED)
  introspect(@CurrentPrincipal() p: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.headers({ 'x-key-id': p.keyId, 'x-owner-id': p.userId, 'x-scopes': p.scopes.join(' ') });
  }
}
