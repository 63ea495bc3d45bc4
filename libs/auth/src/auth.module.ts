import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { NotificationsModule } from '@app/notifications';
import { AccountService } from './account.service';
import { AccountPart, SessionsPart } from './auth.account-data';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { AuthController } from './auth.controller';
import { AuthJobs } from './auth.jobs';
import { AccountPagesController } from './pages/account-pages.controller';
import { AuthRepository } from './auth.repository';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password/password-hasher';
import { BreachedPasswords, PwnedRangeClient } from './password/breached-passwords';
import { PasswordPolicy } from './password/password-policy';
import { SecondFactorGates } from './second-factor-gates';
import { SecondFactorLogin } from './second-factor-login.service';
import { SessionCredentialResolver } from './session-credential.resolver';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [AuditModule, NotificationsModule],
  controllers: [AuthController, AdminUsersController, AccountPagesController],
  providers: [
    AuthRepository,
    AuthJobs,
    SessionsRepository,
    PasswordHasher,
    PwnedRangeClient,
    BreachedPasswords,
    PasswordPolicy,
    SessionsService,
    AuthService,
    AccountService,
    AdminUsersService,
    SessionCredentialResolver,
    SecondFactorGates,
    SecondFactorLogin,
    AccountPart,
    SessionsPart,
  ],
  exports: [AuthService, AdminUsersService, SessionsService, PasswordHasher, SecondFactorGates, SecondFactorLogin],
})
export class AuthModule {}
