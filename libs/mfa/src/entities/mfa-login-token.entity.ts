import type { AttemptSource } from '@app/auth';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The token of a login's second step: SHA-256 only, short-lived, single use, bound to the password step by the
 * fingerprint of the password hash it verified (a password changed meanwhile voids it). `attemptSource`: the lockout
 * source (device or network; no token, no address) the password step counted on — the factor's guesses count there.
 */
@Entity({ name: 'mfa_login_tokens' })
export class MfaLoginToken {
  @PrimaryColumn({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'password_fingerprint', type: 'char', length: 64 })
  passwordFingerprint!: string;

  @Column({ name: 'attempt_source', type: 'jsonb' })
  attemptSource!: AttemptSource;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
