import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthErrorCode, LoginView, signInClient } from '@app/auth';
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
  UuidPipe,
} from '@app/core';
import {
  ConfirmTotpDto,
  LoginMfaDto,
  MfaTokenDto,
  PasskeyLoginDto,
  RenameFactorDto,
  StartTotpDto,
  WebauthnRegisterDto,
} from './dto/mfa.dto';
import {
  FactorRemovedView,
  FactorView,
  MfaResetView,
  MfaStatusView,
  RecoveryCodesView,
  TotpConfirmedView,
  TotpEnrolmentView,
} from './dto/mfa.response';
import { MfaErrorCode } from './mfa-error-codes';
import { MfaLoginService } from './mfa-login.service';
import { MfaService } from './mfa.service';
import { WebauthnService } from './webauthn.service';

/** WebAuthn options as @simplewebauthn/server makes them (passed to the browser's parse…OptionsFromJSON). */
const WEBAUTHN_OPTIONS = {
  type: 'object' as const,
  additionalProperties: true,
  required: ['challenge'],
  properties: { challenge: { type: 'string' as const, example: 'bmV2ZXItdGhlLXNhbWUtY2hhbGxlbmdlLXR3aWNl' } },
};

@ApiTags('mfa')
@Controller()
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly mfaLogin: MfaLoginService,
    private readonly webauthn: WebauthnService,
  ) {}

  @Post('auth/login/mfa')
  @Throttle({ login: {} })
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in, second step: the mfaToken from POST /v1/auth/login and one factor (totp or recoveryCode)',
    description:
      'Answers the session (`aal2`) and the device token (also the `__Host-device` cookie) as POST /v1/auth/login does for an account without a factor. The token is single-use and short-lived (MFA_TOKEN_TTL_SECONDS) and void once the password changes. A wrong code counts toward the same per-(account, source) lockout as a wrong password, on the source of the password step (LOCKOUT_MAX_ATTEMPTS failures of either kind lock it); a TOTP code works once; a recovery code is spent (audited and mailed).',
  })
  @ApiProblems(
    AuthErrorCode.MFA_TOKEN_INVALID,
    AuthErrorCode.SECOND_FACTOR_INVALID,
    CoreErrorCode.VALIDATION_FAILED,
    CoreErrorCode.TOO_MANY_REQUESTS,
  )
  @ApiOkResponse({ type: LoginView, description: 'Logged in with a second factor (aal2)' })
  async loginMfa(
    @Body() dto: LoginMfaDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const proof = { totp: dto.totp, recoveryCode: dto.recoveryCode, webauthn: dto.webauthn };
    return this.mfaLogin.withDeviceCookie(
      await this.mfaLogin.complete(dto.mfaToken, proof, signInClient(req, dto.deviceToken)),
      reply,
    );
  }

  @Post('auth/login/mfa/webauthn/options')
  @Throttle({ login: {} })
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in, second step with a passkey: WebAuthn request options (a single-use challenge, 5 minutes)',
  })
  @ApiProblems(AuthErrorCode.MFA_TOKEN_INVALID, CoreErrorCode.TOO_MANY_REQUESTS)
  @ApiOkResponse({ schema: WEBAUTHN_OPTIONS, description: 'PublicKeyCredentialRequestOptionsJSON' })
  webauthnOptions(@Body() dto: MfaTokenDto) {
    return this.mfaLogin.webauthnOptions(dto.mfaToken);
  }

  @Post('auth/passkey/options')
  @Throttle({ login: {} })
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Passwordless sign-in (PASSKEY_LOGIN): WebAuthn request options for a discoverable passkey',
  })
  @ApiProblems(MfaErrorCode.PASSKEY_LOGIN_DISABLED, CoreErrorCode.TOO_MANY_REQUESTS)
  @ApiOkResponse({ schema: WEBAUTHN_OPTIONS, description: 'PublicKeyCredentialRequestOptionsJSON' })
  passkeyOptions() {
    return this.mfaLogin.passkeyOptions();
  }

  @Post('auth/passkey/login')
  @Throttle({ login: {} })
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Passwordless sign-in (PASSKEY_LOGIN): the assertion of a passkey with user verification → an aal2 session',
  })
  @ApiProblems(
    MfaErrorCode.PASSKEY_LOGIN_DISABLED,
    AuthErrorCode.SECOND_FACTOR_INVALID,
    CoreErrorCode.TOO_MANY_REQUESTS,
  )
  @ApiOkResponse({ type: LoginView, description: 'Logged in with a passkey (aal2)' })
  async passkeyLogin(
    @Body() dto: PasskeyLoginDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const view = await this.mfaLogin.passkeyLogin(dto.webauthn, signInClient(req, dto.deviceToken));
    return this.mfaLogin.withDeviceCookie(view, reply);
  }

  @Post('auth/mfa/webauthn/register/options')
  @RequireSession()
  @SensitiveAction()
  @AllowMfaEnrolment()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Start registering a passkey: WebAuthn creation options (a single-use challenge, 5 minutes)',
  })
  @ApiProblems(CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ schema: WEBAUTHN_OPTIONS, description: 'PublicKeyCredentialCreationOptionsJSON' })
  webauthnRegisterOptions(@CurrentPrincipal() p: Principal) {
    return this.webauthn.registrationOptions(p);
  }

  @Post('auth/mfa/webauthn/register/verify')
  @RequireSession()
  @SensitiveAction()
  @AllowMfaEnrolment()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Finish registering a passkey: it becomes a factor, this session aal2, the others end (audited, mailed); the first factor comes with recovery codes',
  })
  @ApiProblems(MfaErrorCode.WEBAUTHN_REGISTRATION_FAILED, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ type: TotpConfirmedView, description: 'The factor, and the recovery codes when it is the first' })
  webauthnRegister(@CurrentPrincipal() p: Principal, @Body() dto: WebauthnRegisterDto) {
    return this.webauthn.register(p, dto.response, dto.name ?? 'Passkey');
  }

  @Patch('auth/mfa/factors/:id')
  @RequireSession()
  @ApiOperation({ summary: 'Rename one of my second factors' })
  @ApiProblems(MfaErrorCode.MFA_FACTOR_NOT_FOUND)
  @ApiOkResponse({ type: FactorView, description: 'The renamed factor' })
  @ApiIdParam('id', 'One of my factors (its `id` in GET /v1/auth/mfa)', '2a0d8a4e-3f4b-4b8e-9a53-6a1f0f1f5e11')
  rename(@CurrentPrincipal() p: Principal, @Param('id', new UuidPipe()) id: string, @Body() dto: RenameFactorDto) {
    return this.mfa.rename(p, id, dto.name);
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
  remove(@CurrentPrincipal() p: Principal, @Param('id', new UuidPipe()) id: string) {
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
  reset(@CurrentPrincipal() p: Principal, @Param('id', new UuidPipe('all')) id: string) {
    return this.mfa.reset(p, id);
  }
}
