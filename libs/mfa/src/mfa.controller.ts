import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuthErrorCode, LoginView } from '@app/auth';
import {
  AllowMfaEnrolment,
  ApiIdParam,
  ApiProblems,
  CoreErrorCode,
  CurrentPrincipal,
  Principal,
  Public,
  RequireScopes,
  RequireSession,
  SensitiveAction,
} from '@app/core';
import { ConfirmTotpDto, LoginMfaDto, StartTotpDto } from './dto/mfa.dto';
import {
  FactorRemovedView,
  MfaResetView,
  MfaStatusView,
  RecoveryCodesView,
  TotpConfirmedView,
  TotpEnrolmentView,
} from './dto/mfa.response';
import { MfaErrorCode } from './mfa-error-codes';
import { MfaLoginService } from './mfa-login.service';
import { MfaService } from './mfa.service';

const client = (req: FastifyRequest) => ({ ip: req.ip, userAgent: req.headers['user-agent'] });

@ApiTags('mfa')
@Controller()
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly mfaLogin: MfaLoginService,
  ) {}

  @Post('auth/login/mfa')
  @Throttle({ login: {} })
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in, second step: the mfaToken from POST /v1/auth/login and one factor (totp or recoveryCode)',
    description:
      'Answers the session (`aal2`) as POST /v1/auth/login does for an account without a factor. The token is single-use and short-lived (MFA_TOKEN_TTL_SECONDS) and void once the password changes. A wrong code counts toward the same lockout as a wrong password; a TOTP code works once; a recovery code is spent (audited and mailed).',
  })
  @ApiProblems(
    AuthErrorCode.MFA_TOKEN_INVALID,
    AuthErrorCode.SECOND_FACTOR_INVALID,
    CoreErrorCode.VALIDATION_FAILED,
    CoreErrorCode.TOO_MANY_REQUESTS,
  )
  @ApiOkResponse({ type: LoginView, description: 'Logged in with a second factor (aal2)' })
  loginMfa(@Body() dto: LoginMfaDto, @Req() req: FastifyRequest) {
    return this.mfaLogin.complete(dto.mfaToken, { totp: dto.totp, recoveryCode: dto.recoveryCode }, client(req));
  }

  @Get('auth/mfa')
  @RequireSession()
  @AllowMfaEnrolment()
  @ApiOperation({ summary: 'My second factors and how many recovery codes are left' })
  @ApiOkResponse({ type: MfaStatusView, description: 'My second factors (no secrets)' })
  status(@CurrentPrincipal() p: Principal) {
    return this.mfa.status(p.userId);
  }

  @Post('auth/mfa/totp')
  @RequireSession()
  @SensitiveAction()
  @AllowMfaEnrolment()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Start enrolling an authenticator app: its secret, otpauth:// URI and QR code (shown once)',
  })
  @ApiProblems(MfaErrorCode.TOTP_ALREADY_ENROLLED, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiCreatedResponse({ type: TotpEnrolmentView, description: 'Scan the QR code, then confirm a code' })
  startTotp(@CurrentPrincipal() p: Principal, @Body() dto: StartTotpDto) {
    return this.mfa.startTotp(p, dto.name);
  }

  @Post('auth/mfa/totp/confirm')
  @RequireSession()
  @SensitiveAction()
  @AllowMfaEnrolment()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Confirm the authenticator with its first code: it becomes a factor, this session aal2, the others end (audited, mailed); the first factor comes with 10 recovery codes (shown once)',
  })
  @ApiProblems(MfaErrorCode.TOTP_ENROLMENT_NOT_FOUND, MfaErrorCode.TOTP_CODE_WRONG, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ type: TotpConfirmedView, description: 'The factor, and the recovery codes when it is the first' })
  confirmTotp(@CurrentPrincipal() p: Principal, @Body() dto: ConfirmTotpDto) {
    return this.mfa.confirmTotp(p, dto.code);
  }

  @Post('auth/mfa/recovery-codes')
  @RequireSession()
  @SensitiveAction()
  @HttpCode(200)
  @ApiOperation({ summary: 'Replace my recovery codes (the old ones stop working; audited, mailed)' })
  @ApiProblems(MfaErrorCode.MFA_NOT_ENROLLED, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ type: RecoveryCodesView, description: 'The new codes, shown once' })
  regenerate(@CurrentPrincipal() p: Principal) {
    return this.mfa.regenerateRecoveryCodes(p);
  }

  @Delete('auth/mfa/factors/:id')
  @RequireSession()
  @SensitiveAction()
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove one of my second factors (ends my other sessions; audited, mailed)' })
  @ApiProblems(MfaErrorCode.MFA_FACTOR_NOT_FOUND, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ type: FactorRemovedView, description: 'Removed; whether a factor remains' })
  @ApiIdParam('id', 'One of my factors (its `id` in GET /v1/auth/mfa)', '2a0d8a4e-3f4b-4b8e-9a53-6a1f0f1f5e11')
  remove(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe({ version: '4' })) id: string) {
    return this.mfa.removeFactor(p, id);
  }

  @Post('admin/users/:id/mfa/reset')
  @RequireScopes('admin:all')
  @SensitiveAction()
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Reset a user's second factors: all factors and recovery codes removed, all sessions ended (audited, mailed)",
  })
  @ApiProblems(CoreErrorCode.NOT_FOUND, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ type: MfaResetView, description: 'What was removed and ended' })
  @ApiIdParam('id', 'The user’s `id`', '1e3def5f-4705-4507-8499-075e337d050d')
  reset(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.mfa.reset(p, id);
  }
}
