/**
 * The public face of libs/core: every name another lib, an app or a test uses, and nothing else (no `export *`).
 * Add a name here only when something outside core needs it.
 */

// Export and erasure across contexts; audit events and ciphertext stores any context writes to
export { AccountData } from './account-data/account-data';
export { AccountCounts } from './account-data/account-counts';
export type { AccountCounter } from './account-data/account-counts';
export type { AccountDataPart, AccountOwnerCheck, ErasureFacts, ErasureSubject } from './account-data/account-data';
export { AUDIT_ACTOR_TYPES, AUDIT_OUTCOMES, AuditTrail } from './audit/audit-trail';
export type { AuditActorType, AuditOutcome, AuditRecord } from './audit/audit-trail';
export { CiphertextStores } from './keyring/ciphertext-stores';
export type { CiphertextStore } from './keyring/ciphertext-stores';

// Access: principals, scopes, credential resolvers, the route rules and their one evaluation
export { accessProblem, assertAccess, REAUTHENTICATE } from './auth/access-problems';
export { AccessRules, evaluateAccess, holdsScope } from './auth/access-rule';
export type { AccessDenial, AccessRule, PrincipalKind } from './auth/access-rule';
export {
  AllowMfaEnrolment,
  AllowUnverifiedEmail,
  Authenticated,
  OptionalAuthentication,
  Public,
  RequireApiKey,
  RequireScopes,
  RequireSession,
  ScopesFromHeader,
  SensitiveAction,
} from './auth/access.decorators';
export { CredentialResolvers } from './auth/credential-resolvers';
export { CredentialRevocation } from './auth/credential-revocation';
export type {
  CredentialRevoker,
  RevokeAllReason,
  RevokedCredentials,
  StandingCredential,
} from './auth/credential-revocation';
export type { CredentialResolver, PresentedCredential } from './auth/credential-resolvers';
export { CurrentPrincipal } from './auth/current-principal.decorator';
export type { Aal, Principal, RequestWithPrincipal, Role } from './auth/principal';
export {
  ADMIN_SCOPE,
  ALL_SCOPES,
  DEFAULT_USER_SCOPES,
  holdsSensitiveScope,
  isScope,
  SENSITIVE_SCOPES,
} from './auth/scopes';
export { StepUpWindow } from './auth/step-up-window';
export type { Scope } from './auth/scopes';

// Boot, configuration and the module
export { StartupError, bootHttpApp } from './boot/boot-http';
export type { RunningApp } from './boot/boot-http';
export { envDocs } from './config/env-doc.decorator';
export { Environment } from './config/environment';
export { AppConfig, ConfigError, loadConfig, splitList } from './config/load-config';
export { CoreModule } from './core.module';
export type { CoreRuntime } from './core.module';

// Database
export { ChangeFeed, USER_CHANGES_TOPIC } from './database/change-feed';
export { migrate, pendingSchemaSql, revertLast } from './database/migrate';
export { prepareDatabase, resolveDatabase } from './database/prepare-database';
export type { DatabaseTargets } from './database/prepare-database';
export { provisionDatabase } from './database/provision';
export { isUniqueViolation, violatedConstraint } from './database/query-errors';
export { returnedRows } from './database/returned-rows';
export { mergeSchemaParts } from './database/schema-parts';
export type { SchemaParts } from './database/schema-parts';
export { METRICS_QUERY_TAG } from './database/statement-counter';

// Errors (RFC 9457 problems, typed domain exceptions)
export { CoreErrorCode, CoreException } from './errors/core-error-codes';
export { DomainException } from './errors/domain.exception';
export type { DomainExceptionExtras } from './errors/domain.exception';
export { allErrorCodes, registerErrorCodes } from './errors/error-registry';
export { isDatabaseUnavailable } from './errors/problem';

// HTTP conventions
export { ApiProblems } from './http/api-problems';
export { blockListOf, ipMatches } from './http/ip';
export { LimitQueryDto, PageOf, PageQueryDto } from './http/pagination';
export {
  CURSOR_HMAC_PURPOSE,
  CursorCodec,
  applyKeyset,
  compareKeyset,
  isAfterPosition,
  sortValue,
} from './http/keyset';
export type { KeysetOrder, KeysetPosition, SortValue } from './http/keyset';
export type { Page } from './http/pagination';
export { API_KEY_SECURITY, API_TAGS, buildOpenApiDocument } from './http/openapi';
export { ApiIdParam } from './http/api-id-param';
export { UuidPipe } from './http/uuid-pipe';
export { currentRequest, runWithRequestContext } from './http/request-context';
export { exactlyOneOf, NO_CONTROL_CHARACTERS } from './http/validation';

// Rate limits: the GCRA limiter (memory or Redis), shared by the per-key limits and the per-address throttling
export { RateLimiter } from './rate-limit/rate-limiter';
export { GcraThrottlerStorage } from './rate-limit/gcra-throttler.storage';
export type { RateLimitDecision } from './rate-limit/gcra';

// Metrics, secrets, time, jobs
export { MetricsService } from './metrics/metrics.service';
export { SECRET_DEFINITIONS } from './secrets/secret-definitions';
export { SecretError, SecretStore } from './secrets/secret-store';
export { checkSecretFingerprints } from './secrets/secret-fingerprints';
export { Clock, SystemClock } from './system/clock';
export { JobRunner } from './jobs/job-runner';
export type { JobCounts, JobResult } from './jobs/job-runner';
export { JobScheduler } from './jobs/job-scheduler';
export type { JobDefinition } from './jobs/job-scheduler';
export { coreSchema } from './jobs/jobs-schema';
