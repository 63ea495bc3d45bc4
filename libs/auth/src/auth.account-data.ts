import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountData, AccountDataPart, AccountOwnerCheck, ErasureSubject, Principal } from '@app/core';
import type { EntityManager } from 'typeorm';
import { AuthService } from './auth.service';
import type { SessionView } from './dto/session.response';
import type { UserView } from './dto/user.response';
import { LoginLockout } from './lockout/login-lockout.service';
import { SessionsService } from './sessions.service';

/**
 * The account itself: first in the export and last to go on erasure (deleting the user row deletes its sessions,
 * email tokens, API keys and profile by foreign-key cascade). Also the password check an erasure starts with.
 */
@Injectable()
export class AccountPart implements AccountDataPart, AccountOwnerCheck, OnModuleInit {
  readonly name = 'account';
  readonly order = 10;

  constructor(
    private readonly users: AuthService,
    private readonly registry: AccountData,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
    this.registry.registerOwnerCheck(this);
  }

  confirmPassword(userId: string, password: string, action: string, sessionId?: string): Promise<{ email: string }> {
    return this.users.confirmPassword(userId, password, action, sessionId);
  }

  mailAddressOf(userId: string, em?: EntityManager): Promise<string | null> {
    return this.users.me(userId, em).then(
      (u) => u.email,
      () => null,
    );
  }

  export(p: Principal): Promise<UserView> {
    return this.users.me(p.userId);
  }

  erase(subject: ErasureSubject, em: EntityManager): Promise<void> {
    return this.users.deleteAccount(em, subject.userId);
  }
}

/** The active sessions, in the export (`current` marks the one asking); erasure removes them with the account. */
@Injectable()
export class SessionsPart implements AccountDataPart, OnModuleInit {
  readonly name = 'sessions';
  readonly order = 40;

  constructor(
    private readonly sessions: SessionsService,
    private readonly registry: AccountData,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  export(p: Principal): Promise<SessionView[]> {
    return this.sessions.list(p.userId, p.sessionId);
  }
}

/**
 * Device tokens (no token, no digest: id and dates) and the networks the account signed in from, in the export.
 * Erasure deletes the failure counters kept under the account's id (tokens and networks go with the user row).
 */
@Injectable()
export class DevicesPart implements AccountDataPart, OnModuleInit {
  readonly name = 'signInSources';
  readonly order = 42;

  constructor(
    private readonly lockout: LoginLockout,
    private readonly registry: AccountData,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  export(p: Principal) {
    return this.lockout.signInSources(p.userId);
  }

  erase(subject: ErasureSubject, em: EntityManager): Promise<void> {
    return this.lockout.forget(em, subject.userId);
  }
}
