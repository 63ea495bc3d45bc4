import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics';

export const HTTP_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** One Prometheus registry per app instance; other modules add their gauges through `registry`. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  /** `http_requests_total` and `http_request_duration_seconds`, by method, route pattern and status. */
  private readonly http: RequestMetrics;
  readonly dbStatements: Counter;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.http = new RequestMetrics(HTTP_LATENCY_BUCKETS, this.registry);
    this.dbStatements = new Counter({
      name: 'db_statements_total',
      help: 'SQL statements sent through the connection pool (BEGIN/COMMIT included)',
      registers: [this.registry],
    });
  }

  /** One answered request (the access-log hook, for every request). */
  observe(method: string, route: string, status: number, seconds: number): void {
    this.http.observe(method, route, status, seconds);
  }
}
