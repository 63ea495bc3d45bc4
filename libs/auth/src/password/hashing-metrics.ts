import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsService } from '@app/core';
import { HashThreads } from './hash-threads';

/**
 * The password hashing threads on `/metrics`, read at scrape time: `password_hash_threads` (the most that compute at
 * once), `password_hashes_running` and `password_hashes_waiting`. During a login flood the threads run at a lower
 * priority and logins wait rather than fail: a growing queue is how an operator sees it.
 */
@Injectable()
export class HashingMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly threads: HashThreads,
  ) {}

  onModuleInit(): void {
    const threads = this.threads;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.metrics.registry],
        collect() {
          this.set(read());
        },
      });
    gauge(
      'password_hash_threads',
      'Password hashing threads: the most hashes computed at once',
      () => threads.capacity,
    );
    gauge('password_hashes_running', 'Password hashes being computed now', () => threads.inUse);
    gauge('password_hashes_waiting', 'Password hashes waiting for a hashing thread', () => threads.queued);
  }
}
