import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiIdParam,
  ApiProblems,
  CoreErrorCode,
  CurrentPrincipal,
  Principal,
  RequireScopes,
  SensitiveAction,
  UuidPipe,
} from '@app/core';
import { AdminUsersService } from './admin-users.service';
import { ChangeScopesDto } from './dto/auth.dto';
import {
  AdminUserDetailView,
  AdminUserPage,
  EmailChangeRequestedView,
  EverythingEndedView,
  ForcedPasswordResetView,
  UserEnabledView,
  UserUnlockedView,
} from './dto/admin-user.response';
import { ChangeEmailDto, ListUsersQueryDto } from './dto/admin-users.dto';
import { EmailChangeService } from './email-change.service';
import { UserAdministrationService } from './user-administration.service';
import { SessionsEndedView } from './dto/session.response';
import { UserView } from './dto/user.response';
import { AuthErrorCode } from './auth-error-codes';

@ApiTags('auth')
@Controller('admin/users')
@RequireScopes('admin:all')
export class AdminUsersController {
  constructor(
    private readonly admin: AdminUsersService,
    private readonly users: UserAdministrationService,
    private readonly emails: EmailChangeService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List and search users (email or username prefix, status, role, verified, MFA; each read audited)',
  })
  @ApiProblems(CoreErrorCode.INVALID_CURSOR)
  @ApiOkResponse({ type: AdminUserPage, description: 'A page of users' })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListUsersQueryDto) {
    return this.users.list(q, p);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user: what it holds (sessions, keys, factors, certificates), last sign-in, lockout' })
  @ApiProblems(AuthErrorCode.USER_NOT_FOUND)
  @ApiOkResponse({ type: AdminUserDetailView, description: 'The user in detail' })
  @ApiIdParam('id', 'The user’s `id`', '1e3def5f-4705-4507-8499-075e337d050d')
  show(@CurrentPrincipal() p: Principal, @Param('id', new UuidPipe('all')) id: string) {
    return this.users.show(id, p);
  }

  @Post(':id/enable')
  @SensitiveAction()
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a disabled user again (audited; the user is mailed)' })
  @ApiProblems(AuthErrorCode.USER_NOT_FOUND, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ type: UserEnabledView, description: 'The user is enabled' })
  @ApiIdParam('id', 'The user’s `id`', '1e3def5f-4705-4507-8499-075e337d050d')
  enable(@CurrentPrincipal() p: Principal, @Param('id', new UuidPipe('all')) id: string) {
    return this.users.enable(p, id);
  }

  @Post(':id/unlock')
  @SensitiveAction()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Lift every sign-in lockout of the account, from every source (audited; the user is mailed)',
  })
  @ApiProblems(AuthErrorCode.USER_NOT_FOUND, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ type: UserUnlockedView, description: 'The lockout counters of the account are cleared' })
  @ApiIdParam('id', 'The user’s `id`', '1e3def5f-4705-4507-8499-075e337d050d')
  unlock(@CurrentPrincipal() p: Principal, @Param('id', new UuidPipe('all')) id: string) {
    return this.users.unlock(p, id);
  }

  @Post(':id/force-password-reset')
  @SensitiveAction()
  @HttpCode(200)
  @ApiOperation({ summary: 'End every session of the user and mail it a password reset link (audited)' })
  @ApiProblems(AuthErrorCode.USER_NOT_FOUND, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ type: ForcedPasswordResetView, description: 'Sessions ended; the reset mail queued' })
  @ApiIdParam('id', 'The user’s `id`', '1e3def5f-4705-4507-8499-075e337d050d')
  forcePasswordReset(@CurrentPrincipal() p: Principal, @Param('id', new UuidPipe('all')) id: string) {
    return this.users.forcePasswordReset(p, id);
  }

  @Post(':id/end-everything')
  @SensitiveAction()
  @HttpCode(200)
  @ApiOperation({ summary: 'End every session, API key and device token of the user (audited; the user is mailed)' })
  @ApiProblems(AuthErrorCode.USER_NOT_FOUND, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ type: EverythingEndedView, description: 'What was ended' })
  @ApiIdParam('id', 'The user’s `id`', '1e3def5f-4705-4507-8499-075e337d050d')
  endEverything(@CurrentPrincipal() p: Principal, @Param('id', new UuidPipe('all')) id: string) {
    return this.users.endEverything(p, id);
  }

  @Patch(':id/email')
  @SensitiveAction()
  @HttpCode(202)
  @ApiOperation({
    summary: "Change a user's email address: it takes effect when the new address confirms it; the old one is told",
  })
  @ApiProblems(AuthErrorCode.USER_NOT_FOUND, AuthErrorCode.EMAIL_UNCHANGED, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiAcceptedResponse({ type: EmailChangeRequestedView, description: 'A confirmation link went to the new address' })
  @ApiIdParam('id', 'The user’s `id`', '1e3def5f-4705-4507-8499-075e337d050d')
  changeEmail(
    @CurrentPrincipal() p: Principal,
    @Param('id', new UuidPipe('all')) id: string,
    @Body() dto: ChangeEmailDto,
  ) {
    return this.emails.request(p, id, dto.email);
  }

  @Patch(':id/scopes')
  @SensitiveAction()
  @ApiOperation({
    summary:
      "Grant or remove a user's scopes (a session needs a recent authentication; keys lose removed scopes at once)",
  })
  @ApiProblems(AuthErrorCode.USER_NOT_FOUND, CoreErrorCode.RECENT_LOGIN_REQUIRED)
  @ApiOkResponse({ type: UserView, description: 'The user with its new scopes' })
  @ApiIdParam('id', 'The user’s `id`', '1e3def5f-4705-4507-8499-075e337d050d')
  changeScopes(
    @CurrentPrincipal() p: Principal,
    @Param('id', new UuidPipe('all')) id: string,
    @Body() dto: ChangeScopesDto,
  ) {
    return this.admin.changeScopes(p, id, dto.add, dto.remove);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable a user and end all of its sessions' })
  @ApiProblems(AuthErrorCode.USER_NOT_FOUND)
  @ApiOkResponse({ type: SessionsEndedView, description: 'The user is disabled; how many of its sessions were ended' })
  @ApiIdParam('id', 'The user’s `id`', '1e3def5f-4705-4507-8499-075e337d050d')
  disable(@CurrentPrincipal() p: Principal, @Param('id', new UuidPipe('all')) id: string) {
    return this.admin.disable(p, id);
  }
}
