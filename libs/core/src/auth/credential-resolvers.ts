import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal';

/** A presented credential: the bearer token or the X-API-Key header value. */
export interface PresentedCredential {
  value: string;
  via: 'authorization' | 'x-api-key';
}

/**
 * Turns a credential into a principal. Each bounded context that issues credentials (sessions, API keys) registers
 * one; the first that `accepts` a credential decides it (and throws a DomainException when it is invalid).
 */
export interface CredentialResolver {
  accepts(credential: PresentedCredential): boolean;
  resolve(credential: PresentedCredential, request: FastifyRequest): Promise<Principal>;
}

@Injectable()
export class CredentialResolvers {
  private readonly resolvers: CredentialResolver[] = [];

  register(resolver: CredentialResolver): void {
    this.resolvers.push(resolver);
  }

  find(credential: PresentedCredential): CredentialResolver | undefined {
    return this.resolvers.find((r) => r.accepts(credential));
  }
}
