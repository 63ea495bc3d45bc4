import type { Logger as TypeOrmLogger } from 'typeorm';
import type { MetricsService } from '../metrics/metrics.service';

/**
 * TypeORM's logger slot used as a counter: every statement the app sends (transactions' BEGIN/COMMIT included)
 * increments `db_statements_total`. Nothing is logged here: statements carry parameters (emails, hashes), and errors
 * are reported by the problem filter without them.
 */
export const METRICS_QUERY_TAG = '/* metrics */';

export class StatementCounter implements TypeOrmLogger {
  constructor(private readonly metrics: MetricsService) {}

  // Statements a metrics scrape itself sends (tagged with METRICS_QUERY_TAG) are not the service's own work.
  logQuery(query: string): void {
    if (!query.startsWith(METRICS_QUERY_TAG)) this.metrics.dbStatements.inc();
  }

  logQueryError(): void {
    /* counted in logQuery; reported by the caller */
  }

  logQuerySlow(): void {
    /* no maxQueryExecutionTime is configured */
  }

  logSchemaBuild(): void {}

  logMigration(): void {}

  log(): void {}
}
