import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** One Prometheus registry per app instance; other modules add their gauges through `registry`. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route' | 'status'>;
  readonly dbStatements: Counter;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.dbStatements = new Counter({
      name: 'db_statements_total',
      help: 'SQL statements sent through the connection pool (BEGIN/COMMIT included)',
      registers: [this.registry],
    });
  }

  /** The labelled series of each (method, route, status), bound once: prom-client hashes a label object per call. */
  private readonly series = new Map<string, { requests: { inc(): void }; latency: { observe(v: number): void } }>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.series.get(key);
    if (!s) {
      const labels = [method, route, String(status)];
      s = { requests: this.requests.labels(...labels), latency: this.latency.labels(...labels) };
      this.series.set(key, s);
    }
    s.requests.inc();
    s.latency.observe(seconds);
  }
}
