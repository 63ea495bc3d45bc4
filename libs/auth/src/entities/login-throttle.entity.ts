import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Failed logins per client IP, for growing delays that never lock an account out for its owner. */
@Entity({ name: 'login_throttles' })
export class LoginThrottle {
  @PrimaryColumn({ type: 'varchar', length: 45 })
  ip!: string;

  @Column({ type: 'int' })
  failures!: number;

  @Column({ name: 'window_start', type: 'timestamptz' })
  windowStart!: Date;

  @Column({ name: 'blocked_until', type: 'timestamptz', nullable: true })
  blockedUntil!: Date | null;
}
