import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/load-config';
import { Clock } from '../system/clock';
import { assertAccess } from './access-problems';
import type { AccessRule, EmailVerification } from './access-rule';
import type { Principal } from './principal';

/**
 * The step-up window (design.md "Assurance"): how recently a session must have proved its password to take a
 * sensitive action, STEP_UP_MAX_AGE_MINUTES. It only supplies the time; `evaluateAccess` makes the comparison. It
 * also carries the instance's other assurance setting, REQUIRE_VERIFIED_EMAIL.
 */
@Injectable()
export class StepUpWindow {
  /** Whether a verified email address is required (REQUIRE_VERIFIED_EMAIL, read at start: per instance). */
  readonly emailVerification: EmailVerification;

  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    this.emailVerification = config.env.REQUIRE_VERIFIED_EMAIL === false ? 'off' : 'required';
  }

  /** The earliest `authenticatedAt` a sensitive action accepts now (epoch ms). */
  since(): number {
    return this.clock.nowMs() - this.config.env.STEP_UP_MAX_AGE_MINUTES * 60_000;
  }

  /** When a session authenticated at `authenticatedAt` stops being recent enough. */
  endsAt(authenticatedAt: Date): Date {
    return new Date(authenticatedAt.getTime() + this.config.env.STEP_UP_MAX_AGE_MINUTES * 60_000);
  }

  /** `assertAccess` for a rule that depends on the request's content, at the current time. */
  assert(principal: Principal, rule: AccessRule): void {
    assertAccess(principal, rule, this.since(), this.emailVerification);
  }
}
