import { RandomSource, SystemRandomSource } from '@app/crypto';
import { DynamicModule, Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AccountCounts } from './account-data/account-counts';
import { AccountData } from './account-data/account-data';
import { AccessGuard } from './auth/access.guard';
import { StepUpWindow } from './auth/step-up-window';
import { CredentialResolvers } from './auth/credential-resolvers';
import { CredentialRevocation } from './auth/credential-revocation';
import { ScopesController } from './auth/scopes.controller';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/load-config';
import { ChangeFeed } from './database/change-feed';
import { JobRunner } from './jobs/job-runner';
import { JobScheduler } from './jobs/job-scheduler';
import { JobsController } from './jobs/jobs.controller';
import { StatementCounter } from './database/statement-counter';
import type { DatabaseTargets } from './database/prepare-database';
import type { SchemaParts } from './database/schema-parts';
import { ProblemFilter } from './errors/problem.filter';
import { HealthController } from './health/health.controller';
import { RequestContextMiddleware } from './http/request-context';
import { createValidationPipe } from './http/validation';
import { loggerOptions } from './logging/logger-options';
import { MetricsAccessGuard } from './metrics/metrics-access.guard';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { CiphertextStores } from './keyring/ciphertext-stores';
import { ipThrottlerOptions, IpThrottlerGuard } from './rate-limit/ip-throttler.guard';
import { RateLimiter } from './rate-limit/rate-limiter';
import { SecretStore } from './secrets/secret-store';
import { Clock, SystemClock } from './system/clock';
import { CursorCodec } from './http/keyset';
import { Lifecycle } from './system/lifecycle';

/** Everything resolved before Nest starts: validated config, secrets, the database and the schema parts. */
export interface CoreRuntime {
  config: AppConfig;
  secrets: SecretStore;
  database: Pick<DatabaseTargets, 'appUrl'>;
  schema: SchemaParts;
  /** Build the module graph without connecting (OpenAPI generation). */
  offline?: boolean;
  logDestination?: NodeJS.WritableStream;
  /** Tests replace time and randomness here; production uses the system clock and the CSPRNG. */
  clock?: Clock;
  random?: RandomSource;
}

/** The services core provides and every other module may inject (besides the runtime's values). */
const SHARED_SERVICES = [
  Lifecycle,
  CredentialResolvers,
  StepUpWindow,
  CredentialRevocation,
  AccountData,
  AccountCounts,
  CiphertextStores,
  ChangeFeed,
  JobRunner,
  JobScheduler,
  RateLimiter,
  CursorCodec,
];

@Global()
@Module({})
export class CoreModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestContextMiddleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }

  static forRoot(runtime: CoreRuntime): DynamicModule {
    const { config } = runtime;
    const metrics = new MetricsService();
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validatePredefined: false,
          load: [() => ({ ...config.env })],
        }),
        LoggerModule.forRoot(loggerOptions(config, runtime.logDestination)),
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: runtime.database.appUrl,
          entities: runtime.schema.entities,
          migrations: runtime.schema.migrations,
          migrationsTableName: 'migrations',
          migrationsRun: false,
          synchronize: false,
          manualInitialization: runtime.offline ?? false,
          retryAttempts: 2,
          retryDelay: 1000,
          logger: new StatementCounter(metrics),
          extra: {
            max: config.env.DB_POOL_SIZE,
            connectionTimeoutMillis: 3000,
            idleTimeoutMillis: 30_000,
            statement_timeout: 15_000,
            idle_in_transaction_session_timeout: 30_000,
            application_name: 'security-backend',
          },
        }),
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
        // Per-address limits (IP_LIMIT_*) on the GCRA limiter below: Redis when REDIS_URL is set, else in process.
        ThrottlerModule.forRootAsync({ inject: [AppConfig, RateLimiter], useFactory: ipThrottlerOptions }),
      ],
      controllers: [HealthController, MetricsController, ScopesController, JobsController],
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: SecretStore, useValue: runtime.secrets },
        { provide: Clock, useValue: runtime.clock ?? new SystemClock() },
        { provide: RandomSource, useValue: runtime.random ?? new SystemRandomSource() },
        { provide: MetricsService, useValue: metrics },
        MetricsAccessGuard,
        ...SHARED_SERVICES,
        // Per-address limits first (routes that name a throttler: login, register …), before any credential lookup.
        { provide: APP_GUARD, useClass: IpThrottlerGuard },
        // The access guard: who is calling, and may they (the route's rule, evaluated once).
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [AppConfig, SecretStore, Clock, RandomSource, MetricsService, ...SHARED_SERVICES],
    };
  }
}
