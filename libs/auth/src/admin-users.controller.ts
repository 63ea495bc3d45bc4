import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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
import { AdminUsersQueryService } from './admin-users-query.service';
import { AdminUsersService } from './admin-users.service';
import { AdminUserPage, ListUsersQueryDto } from './dto/admin-users.dto';
import { ChangeScopesDto } from './dto/auth.dto';
import { SessionsEndedView } from './dto/session.response';
import { UserView } from './dto/user.response';
import { AuthErrorCode } from './auth-error-codes';

@ApiTags('auth')
@Controller('admin/users')
@RequireScopes('admin:all')
export class AdminUsersController {
  constructor(
    private readonly admin: AdminUsersService,
    private readonly users: AdminUsersQueryService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Users: search by email or username prefix, filter by status, role, verification (audited)',
  })
  @ApiOkResponse({ type: AdminUserPage, description: 'A page of users, newest first' })
  list(@CurrentPrincipal() p: Principal, @Query() q: ListUsersQueryDto) {
    return this.users.list(p, q);
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
