import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AllowUnverifiedEmail,
  ApiIdParam,
  ApiProblems,
  CoreErrorCode,
  CurrentPrincipal,
  Principal,
  RequireScopes,
  RequireSession,
  SensitiveAction,
  UuidPipe,
} from '@app/core';
import { EraseDto, RevealQueryDto, SsnSearchDto, UpdateProfileDto } from './dto/profile.dto';
import { ProfileErasureView, ProfileExportView, ProfileSearchResultView, ProfileView } from './dto/profile.response';
import { ProfileErasureService } from './profile-erasure.service';
import { ProfileExportService } from './profile-export.service';
import { ProfilesService } from './profiles.service';
import { ProfilesErrorCode } from './profiles-error-codes';

@ApiTags('profiles')
@Controller('profiles')
export class ProfilesController {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly exports: ProfileExportService,
    private readonly erasure: ProfileErasureService,
  ) {}

  @Get('me')
  @RequireScopes('profiles:read')
  @AllowUnverifiedEmail()
  @ApiOperation({
    summary:
      'My profile, masked; ?reveal=true for the full values (profiles:read_sensitive, recent authentication; audited)',
  })
  @ApiProblems(CoreErrorCode.RECENT_LOGIN_REQUIRED, ProfilesErrorCode.PROFILE_INTEGRITY_FAILED)
  @ApiOkResponse({
    type: ProfileView,
    description: 'My profile, masked (revealed with ?reveal=true); every field null when I never set it',
  })
  me(@CurrentPrincipal() p: Principal, @Query() q: RevealQueryDto) {
    return this.profiles.get(p, p.userId, q.reveal);
  }

  @Get('me/export')
  @RequireScopes('profiles:read_sensitive')
  @SensitiveAction()
  @ApiOperation({
    summary:
      'Everything held about me as JSON: account, decrypted profile, API keys, sessions, audit events (recent authentication; audited)',
  })
  @ApiProblems(CoreErrorCode.RECENT_LOGIN_REQUIRED, ProfilesErrorCode.PROFILE_INTEGRITY_FAILED)
  @ApiOkResponse({
    type: ProfileExportView,
    description: 'The export document (application/json, no attachment header)',
  })
  export(@CurrentPrincipal() p: Principal) {
    return this.exports.export(p);
  }

  @Delete('me')
  @RequireSession()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Erase me: account, profile, keys and sessions deleted; my audit events pseudonymised (password required)',
  })
  @ApiProblems(CoreErrorCode.CURRENT_PASSWORD_WRONG)
  @ApiOkResponse({ type: ProfileErasureView, description: 'Erased; the token used is no longer valid' })
  erase(@CurrentPrincipal() p: Principal, @Body() dto: EraseDto) {
    return this.erasure.erase(p, dto.password);
  }

  @Put('me')
  @RequireScopes('profiles:write')
  @AllowUnverifiedEmail()
  @ApiOperation({
    summary: 'Set my profile: given fields change (null clears), sensitive ones are encrypted per field',
  })
  @ApiProblems(ProfilesErrorCode.PROFILE_INTEGRITY_FAILED)
  @ApiOkResponse({ type: ProfileView, description: 'The profile as stored now, masked' })
  update(@CurrentPrincipal() p: Principal, @Body() dto: UpdateProfileDto) {
    return this.profiles.update(p, dto);
  }

  @Post('search')
  @RequireScopes('admin:all')
  @HttpCode(200)
  @ApiOperation({ summary: 'Find profiles by SSN through the blind index (admin; audited)' })
  @ApiProblems(ProfilesErrorCode.PROFILE_INTEGRITY_FAILED)
  @ApiOkResponse({ type: ProfileSearchResultView, description: 'Matching profiles, masked' })
  search(@CurrentPrincipal() p: Principal, @Body() dto: SsnSearchDto) {
    return this.profiles.searchBySsn(p, dto.ssn);
  }

  @Get(':userId')
  @RequireScopes('profiles:read')
  @ApiOperation({ summary: 'A profile: your own, or anyone’s with admin:all (others answer 404)' })
  @ApiProblems(
    ProfilesErrorCode.PROFILE_NOT_FOUND,
    CoreErrorCode.RECENT_LOGIN_REQUIRED,
    ProfilesErrorCode.PROFILE_INTEGRITY_FAILED,
  )
  @ApiOkResponse({
    type: ProfileView,
    description: 'The profile, masked (revealed with ?reveal=true); every field null when never set',
  })
  @ApiIdParam('userId', 'The user whose profile to read', '1e3def5f-4705-4507-8499-075e337d050d')
  get(@CurrentPrincipal() p: Principal, @Param('userId', new UuidPipe()) userId: string, @Query() q: RevealQueryDto) {
    return this.profiles.get(p, userId, q.reveal);
  }
}
