import { Injectable } from '@nestjs/common';

/** Process lifecycle flags: once draining, readiness answers 503 so load balancers stop sending traffic. */
@Injectable()
export class Lifecycle {
  private drainingSince?: Date;

  startDraining(at = new Date()): void {
    this.drainingSince ??= at;
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }
}
