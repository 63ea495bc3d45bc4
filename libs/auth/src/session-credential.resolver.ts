import { Injectable, OnModuleInit } from '@nestjs/common';
import { CredentialResolver, CredentialResolvers, PresentedCredential, Principal } from '@app/core';
import { SessionsService } from './sessions.service';

/** Bearer tokens that are not API keys (`sk_…`) are sessions. */
@Injectable()
export class SessionCredentialResolver implements CredentialResolver, OnModuleInit {
  readonly kind = 'session';

  constructor(
    private readonly registry: CredentialResolvers,
    private readonly sessions: SessionsService,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  accepts(credential: PresentedCredential): boolean {
    return credential.via === 'authorization' && !credential.value.startsWith('sk_');
  }

  /** Synchronous for a cached live session (no statement, no promise). */
  resolve(credential: PresentedCredential): Principal | Promise<Principal> {
    return this.sessions.resolve(credential.value);
  }
}
