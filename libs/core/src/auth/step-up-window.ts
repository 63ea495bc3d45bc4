import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/load-config';
import { Clock } from '../system/clock';
import { assertAccess } from './access-problems';
import type { AccessRule } from './access-rule';
import type { Principal } from './principal';

/**
 * The step-up window (design.md "Assurance"): how recently a session must have proved its password to take a
 * sensitive action, STEP_UP_MAX_AGE_MINUTES. It only supplies the time; `evaluateAccess` makes the comparison.
 */
@Injectable()
export class StepUpWindow {
  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

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
    assertAccess(principal, rule, this.since());
  }
}
