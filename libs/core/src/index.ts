export { accessProblem, assertAccess } from './auth/access-problems';
export { AccessRules, evaluateAccess, holdsScope } from './auth/access-rule';
export type { AccessDenial, AccessRule, PrincipalKind } from './auth/access-rule';
export {
  Authenticated,
  OptionalAuthentication,
  Public,
  RequireApiKey,
  RequireScopes,
  RequireSession,
  ScopesFromHeader,
} from './auth/access.decorators';
export * from './auth/credential-resolvers';
export * from './auth/current-principal.decorator';
export * from './auth/principal';
export * from './auth/scopes';
export * from './boot/boot-http';
export * from './config/env-doc.decorator';
export * from './config/environment';
export * from './config/load-config';
export * from './core.module';
export * from './database/change-feed';
export * from './database/embedded-server';
export * from './database/migrate';
export * from './database/prepare-database';
export * from './database/provision';
export * from './database/query-errors';
export * from './database/returned-rows';
export * from './database/schema-parts';
export { METRICS_QUERY_TAG } from './database/statement-counter';
export * from './errors/core-error-codes';
export * from './errors/domain.exception';
export * from './errors/error-registry';
export * from './errors/problem';
export * from './http/api-problems';
export * from './http/ip';
export * from './http/pagination';
export * from './http/openapi';
export * from './http/api-id-param';
export * from './http/request-context';
export { NO_CONTROL_CHARACTERS } from './http/validation';
export * from './logging/redaction';
export * from './metrics/metrics-access.guard';
export * from './metrics/metrics.service';
export * from './secrets/file-modes';
export * from './secrets/secret-definitions';
export * from './secrets/secret-store';
export * from './system/clock';
export * from './system/lifecycle';
export * from './system/random';
export * from './jobs/job-run.entity';
export * from './jobs/job-runner';
export * from './jobs/job-scheduler';
export * from './jobs/jobs-schema';
