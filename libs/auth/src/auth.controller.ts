import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';
import {
  ApiAcceptedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  AllowMfaEnrolment,
  AllowUnverifiedEmail,
  ApiIdParam,
  ApiProblems,
  CoreErrorCode,
  CurrentPrincipal,
  Page,
  Principal,
  Public,
  RequireScopes,
  RequireSession,
  SensitiveAction,
  UuidPipe,
} from '@app/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccountService } from './account.service';
import { AuthService } from './auth.service';
import { UserViews } from './user-views';
import {
  ChangePasswordDto,
  ForgotPasswordDto,
  LoginDto,
  ReauthenticateDto,
  RegisterDto,
  ResetPasswordDto,
  SuggestPasswordDto,
  TokenDto,
} from './dto/auth.dto';
import {
  EmailVerificationResendView,
  EmailVerifiedView,
  PasswordChangedView,
  PasswordResetRequestView,
  PasswordResetView,
  PasswordSuggestionView,
  ReauthenticatedView,
} from './dto/account.response';
import { SessionPage, SessionsEndedView, SessionView, SignInSourcesView } from './dto/session.response';
import { LoginView, RegistrationView, SecondFactorChallengeView, UserView } from './dto/user.response';
import { SessionsService } from './sessions.service';
import { EmailChangeRequestedView } from './dto/admin-user.response';
import { ChangeEmailDto } from './dto/admin-users.dto';
import { EmailChangeService } from './email-change.service';
import { AuthErrorCode } from './auth-error-codes';
import { signInClient } from './lockout/device-cookie';

@ApiTags('auth')
@ApiExtraModels(SignInSourcesView, LoginView, SecondFactorChallengeView)
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly account: AccountService,
    private readonly sessions: SessionsService,
    private readonly users: UserViews,
    private readonly emails: EmailChangeService,
  ) {}

  @Post('auth/register')
  @Throttle({ register: {} })
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Register (same answer for new and taken addresses; the mail tells the rest)' })
  @ApiProblems(AuthErrorCode.PASSWORD_TOO_WEAK, AuthErrorCode.PASSWORD_BREACHED, CoreErrorCode.TOO_MANY_REQUESTS)
  @ApiAcceptedResponse({
    type: RegistrationView,
    description: 'Registration accepted; a mail tells the rest (the same answer for taken addresses)',
  })
  register(@Body() dto: RegisterDto) {
    return this.auth.register(dto);
  }

  @Post('auth/login')
  @Throttle({ login: {} })
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Log in: a session token (Bearer), a device token (also the `__Host-device` cookie) and password age, or a second-factor challenge',
    description:
      'Failed logins lock one source (device or network) out of one account, never the account for everyone. An account without a second factor gets its session at once (`aal1`). An account with one gets `{mfaRequired: true, mfaToken, methods}` and no session (nor device token): send the token with one factor to `POST /v1/auth/login/mfa` (`{mfaToken, totp}`, `{mfaToken, recoveryCode}` or `{mfaToken, webauthn}`) within MFA_TOKEN_TTL_SECONDS; that answer is the session (`aal2`) and the device token. Wrong codes count toward the same per-(account, source) lockout as wrong passwords, on the source of the password step. A device token whose sign-in proved a factor within MFA_REMEMBER_DEVICE_DAYS gets an `aal1` session without the factor step (never for roles in MFA_REQUIRED_ROLES).',
  })
  @ApiProblems(
    AuthErrorCode.TOO_MANY_LOGIN_ATTEMPTS,
    CoreErrorCode.TOO_MANY_REQUESTS,
    AuthErrorCode.INVALID_CREDENTIALS,
  )
  @ApiOkResponse({
    description: 'Logged in (the session token, the user and the password age), or a second factor is needed',
    schema: { oneOf: [{ $ref: getSchemaPath(LoginView) }, { $ref: getSchemaPath(SecondFactorChallengeView) }] },
  })
  async login(@Body() dto: LoginDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.auth.withDeviceCookie(await this.auth.login(dto, signInClient(req)), reply);
  }

  @Post('auth/reauthenticate')
  @RequireSession()
  @AllowMfaEnrolment()
  @Throttle({ reauthenticate: {} })
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Confirm my password or a second factor again (step-up): this session may take sensitive actions for STEP_UP_MAX_AGE_MINUTES (audited); a factor also makes it aal2',
  })
  @ApiProblems(
    CoreErrorCode.CURRENT_PASSWORD_WRONG,
    CoreErrorCode.TOO_MANY_REQUESTS,
    CoreErrorCode.VALIDATION_FAILED,
    AuthErrorCode.SECOND_FACTOR_INVALID,
  )
  @ApiOkResponse({
    type: ReauthenticatedView,
    description: 'The same session, now recently authenticated (no new token)',
  })
  reauthenticate(@CurrentPrincipal() p: Principal, @Body() dto: ReauthenticateDto) {
    return this.account.reauthenticate(p, dto);
  }

  @Post('auth/logout')
  @RequireSession()
  @AllowMfaEnrolment()
  @AllowUnverifiedEmail()
  @HttpCode(204)
  @ApiOperation({ summary: 'End this session' })
  @ApiNoContentResponse({ description: 'The session has ended' })
  logout(@CurrentPrincipal() p: Principal) {
    return this.auth.logout(p);
  }

  @Get('auth/sessions')
  @RequireSession()
  @AllowMfaEnrolment()
  @AllowUnverifiedEmail()
  @ApiOperation({ summary: 'My active sessions' })
  @ApiOkResponse({ type: SessionPage, description: 'My active sessions, newest first' })
  listSessions(@CurrentPrincipal() p: Principal): Promise<Page<SessionView>> {
    return this.sessions.list(p.userId, p.sessionId).then((items) => ({ items, nextCursor: null }));
  }

  @Delete('auth/sessions/:id')
  @RequireSession()
  @AllowMfaEnrolment()
  @AllowUnverifiedEmail()
  @HttpCode(204)
  @ApiOperation({ summary: 'End one of my sessions' })
  @ApiProblems(AuthErrorCode.SESSION_NOT_FOUND)
  @ApiNoContentResponse({ description: 'The session has ended' })
  @ApiIdParam('id', 'One of my sessions (its `id` in GET /v1/auth/sessions)', '51bf61f0-fa79-4e3b-8db7-7ba1be14f1ec')
  revokeSession(@CurrentPrincipal() p: Principal, @Param('id', new UuidPipe()) id: string) {
    return this.account.revokeSession(p, id);
  }

  @Post('auth/sessions/revoke-all')
  @RequireSession()
  @AllowMfaEnrolment()
  @AllowUnverifiedEmail()
  @HttpCode(200)
  @ApiOperation({ summary: 'End all my sessions but this one' })
  @ApiOkResponse({ type: SessionsEndedView, description: 'How many other sessions were ended' })
  revokeAll(@CurrentPrincipal() p: Principal) {
    return this.account.revokeOtherSessions(p);
  }

  @Get('me')
  @RequireScopes('profiles:read')
  @AllowUnverifiedEmail()
  @AllowMfaEnrolment()
  @ApiOperation({ summary: 'Who am I (and, from a session, its assurance level)' })
  @ApiOkResponse({ type: UserView, description: 'The signed-in user' })
  me(@CurrentPrincipal() p: Principal) {
    return Promise.resolve(this.users.view(p.userId)).then((u) => (p.aal ? { ...u, aal: p.aal } : u));
  }

  @Patch('me/email')
  @RequireSession()
  @SensitiveAction()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Change my email address (recent authentication): it takes effect when the new address confirms it; the old one is told',
  })
  @ApiProblems(AuthErrorCode.EMAIL_UNCHANGED, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiAcceptedResponse({
    type: EmailChangeRequestedView,
    description: 'A confirmation link went to the new address (the same answer when it already has an account)',
  })
  changeEmail(@CurrentPrincipal() p: Principal, @Body() dto: ChangeEmailDto) {
    return this.emails.request(p, p.userId, dto.email);
  }

  @Post('auth/password')
  @RequireSession()
  @SensitiveAction()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Change my password (recent authentication; ends my other sessions; lists my API keys that still work)',
  })
  @ApiProblems(
    CoreErrorCode.CURRENT_PASSWORD_WRONG,
    AuthErrorCode.PASSWORD_TOO_WEAK,
    AuthErrorCode.PASSWORD_BREACHED,
    CoreErrorCode.RECENT_LOGIN_REQUIRED,
  )
  @ApiOkResponse({
    type: PasswordChangedView,
    description: 'Password changed; how many other sessions were ended, and the API keys that still work',
  })
  changePassword(@CurrentPrincipal() p: Principal, @Body() dto: ChangePasswordDto) {
    return this.account.changePassword(p, dto.currentPassword, dto.newPassword);
  }

  @Post('auth/password/suggest')
  @Throttle({ suggest: {} })
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'A random password (CSPRNG) that passes the policy' })
  @ApiProblems(CoreErrorCode.TOO_MANY_REQUESTS)
  @ApiOkResponse({ type: PasswordSuggestionView, description: 'A random password that passes the policy' })
  suggest(@Body() dto: SuggestPasswordDto) {
    return this.account.suggest(dto.length);
  }

  @Post('auth/email/verify')
  @Throttle({ verify: {} })
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm my email address with the token from the mail' })
  @ApiProblems(AuthErrorCode.TOKEN_INVALID, CoreErrorCode.TOO_MANY_REQUESTS)
  @ApiOkResponse({ type: EmailVerifiedView, description: 'The email address is confirmed' })
  verifyEmail(@Body() dto: TokenDto) {
    return this.account.verifyEmail(dto.token);
  }

  @Post('auth/email/resend')
  @Throttle({ resend: {} })
  @RequireSession()
  @AllowUnverifiedEmail()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send the verification mail again (at most AUTH_MAILS_PER_HOUR an hour, counting the first)',
  })
  @ApiProblems(AuthErrorCode.VERIFICATION_MAIL_LIMIT, CoreErrorCode.TOO_MANY_REQUESTS)
  @ApiAcceptedResponse({
    type: EmailVerificationResendView,
    description: 'Mail queued, or nothing to do when already verified',
  })
  resend(@CurrentPrincipal() p: Principal) {
    return this.account.resendVerification(p);
  }

  @Post('auth/password/forgot')
  @Throttle({ forgot: {} })
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Ask for a reset link (same answer whether or not the account exists)' })
  @ApiProblems(CoreErrorCode.TOO_MANY_REQUESTS)
  @ApiAcceptedResponse({
    type: PasswordResetRequestView,
    description: 'Request accepted (the same answer whether or not the account exists)',
  })
  forgot(@Body() dto: ForgotPasswordDto) {
    return this.account.forgotPassword(dto.email);
  }

  @Post('auth/password/reset')
  @Throttle({ reset: {} })
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Set a new password with a reset token (ends all sessions and revokes all API keys)' })
  @ApiProblems(
    AuthErrorCode.TOKEN_INVALID,
    AuthErrorCode.PASSWORD_TOO_WEAK,
    AuthErrorCode.PASSWORD_BREACHED,
    CoreErrorCode.TOO_MANY_REQUESTS,
  )
  @ApiOkResponse({
    type: PasswordResetView,
    description: 'Password set; how many sessions were ended and API keys revoked',
  })
  reset(@Body() dto: ResetPasswordDto) {
    return this.account.resetPassword(dto.token, dto.newPassword);
  }
}
