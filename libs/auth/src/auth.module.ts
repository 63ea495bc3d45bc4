import { Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { ChangeFeed, USER_CHANGES_TOPIC } from '@app/core';
import { AuditModule } from '@app/audit';
import { NotificationsModule } from '@app/notifications';
import { AccountService } from './account.service';
import { AccountPart, DevicesPart, SessionsPart } from './auth.account-data';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersRepository } from './admin-users.repository';
import { AdminUsersService } from './admin-users.service';
import { EmailChangeService } from './email-change.service';
import { UserAdministrationService } from './user-administration.service';
import { AuthController } from './auth.controller';
import { AuthJobs } from './auth.jobs';
import { AccountPagesController } from './pages/account-pages.controller';
import { AuthRepository } from './auth.repository';
import { AuthService } from './auth.service';
import { LockoutRepository } from './lockout/lockout.repository';
import { LoginFlow } from './login-flow.service';
import { LoginLockout } from './lockout/login-lockout.service';
import { HashThreads } from './password/hash-threads';
import { HashingMetrics } from './password/hashing-metrics';
import { PasswordHasher } from './password/password-hasher';
import { BreachedPasswords, PwnedRangeClient } from './password/breached-passwords';
import { PasswordPolicy } from './password/password-policy';
import { PrincipalCache, SESSION_TOPIC } from './principal-cache';
import { SessionActivity } from './session-activity';
import { SecondFactorGates } from './second-factor-gates';
import { SecondFactorLogin } from './second-factor-login.service';
import { SessionCredentialResolver } from './session-credential.resolver';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { UserViews } from './user-views';

@Module({
  imports: [AuditModule, NotificationsModule],
  controllers: [AuthController, AdminUsersController, AccountPagesController],
  providers: [
    AuthRepository,
    LockoutRepository,
    LoginLockout,
    AuthJobs,
    SessionsRepository,
    PrincipalCache,
    SessionActivity,
    UserViews,
    HashThreads,
    HashingMetrics,
    PasswordHasher,
    PwnedRangeClient,
    BreachedPasswords,
    PasswordPolicy,
    SessionsService,
    AuthService,
    LoginFlow,
    AccountService,
    AdminUsersService,
    AdminUsersRepository,
    UserAdministrationService,
    EmailChangeService,
    SessionCredentialResolver,
    SecondFactorGates,
    SecondFactorLogin,
    AccountPart,
    SessionsPart,
    DevicesPart,
  ],
  exports: [
    AuthService,
    AdminUsersService,
    UserAdministrationService,
    EmailChangeService,
    SessionsService,
    PasswordHasher,
    LoginLockout,
    SecondFactorGates,
    SecondFactorLogin,
  ],
})
export class AuthModule implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    private readonly changes: ChangeFeed,
    private readonly cache: PrincipalCache,
  ) {}

  /** Changes made anywhere (this or another instance) drop the affected sessions and user views. */
  onModuleInit(): void {
    this.changes.subscribe(SESSION_TOPIC, (id) => (id ? this.cache.invalidateSession(id) : this.cache.clear()));
    this.changes.subscribe(USER_CHANGES_TOPIC, (id) => (id ? this.cache.invalidateUser(id) : this.cache.clear()));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.cache.enabled) await this.changes.listen();
  }
}
