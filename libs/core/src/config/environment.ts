import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsUrl, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { Env } from './env-doc.decorator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
/** `true`/`false` and friends; empty (`DOCS_ENABLED=` as .env.example shows it) is unset, so the default applies. */
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};
const emptyToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * Every environment variable the service reads, validated once at boot.
 * Secrets are not here: they are read by the SecretStore (NAME or NAME_FILE), see `secret-definitions.ts`.
 */
export class Environment {
  @Env({
    description:
      'Run mode: `development`, `production` or `test`. Production refuses missing secrets and loose file modes.',
    default: 'development',
  })
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Env({ description: 'Address the HTTP server binds to.', default: '127.0.0.1' })
  @IsString()
  @Matches(/^[0-9a-fA-F:.]+$|^localhost$/, { message: 'HOST must be an IP address or localhost' })
  HOST = '127.0.0.1';

  @Env({ description: 'Port the HTTP server listens on (0 picks a free port).', default: '3000' })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @Env({
    description:
      'Listen on this Unix socket instead of `HOST`:`PORT` (a host with nginx beside the service: no TCP port any local process could reach). A stale socket file is replaced (one another process serves is refused); the socket gets `SOCKET_MODE` and `SOCKET_GROUP`. The connecting peer (nginx, allowed by the file permissions) is the trusted proxy.',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @Matches(/^\/[^\0]{1,100}$/, { message: 'SOCKET_PATH must be an absolute path of at most 100 characters' })
  SOCKET_PATH?: string;

  @Env({ description: 'Permissions of `SOCKET_PATH` (octal; owner and group only).', default: '0660' })
  @IsString()
  @Matches(/^0?[0-7][0-7]0$/, { message: 'SOCKET_MODE must be an octal mode with no permission for others, e.g. 0660' })
  SOCKET_MODE = '0660';

  @Env({
    description:
      "Group (name or gid) given to `SOCKET_PATH`, e.g. nginx's group (`www-data`); the service user must be a member. Unset: the service user's group.",
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_-]{0,31}$|^\d+$/, { message: 'SOCKET_GROUP must be a group name or a numeric gid' })
  SOCKET_GROUP?: string;

  @Env({
    description:
      'Serve HTTPS instead of HTTP with this certificate chain (PEM), so the hop from the proxy is encrypted and the proxy can verify the app (`APP_TLS_KEY` / `APP_TLS_KEY_FILE` holds the private key). Unset: plain HTTP, for a loopback or Unix-socket hop.',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  APP_TLS_CERT_FILE?: string;

  @Env({
    description: 'Directory for local state: embedded PostgreSQL data, generated development secrets.',
    default: '.data',
  })
  @IsString()
  @MaxLength(4096)
  DATA_DIR = '.data';

  @Env({
    description:
      'PostgreSQL URL the app connects with (a role that can only read and write rows). Unset: an embedded PostgreSQL is started in `DATA_DIR`.',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @Env({
    description: 'PostgreSQL URL of the schema owner, used only to run migrations. Defaults to `DATABASE_URL`.',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'MIGRATIONS_DATABASE_URL must be a postgres:// URL' })
  MIGRATIONS_DATABASE_URL?: string;

  @Env({ description: 'Connection pool size per instance.', default: '10' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  @Env({ description: 'Port for the embedded PostgreSQL (0 = a free port chosen at start).', default: '0' })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  EMBEDDED_PG_PORT = 0;

  @Env({
    description:
      'Comma-separated addresses/CIDRs of reverse proxies whose `X-Forwarded-For` is trusted. Anything else is ignored, so the client IP cannot be spoofed.',
    default: '127.0.0.1,::1',
  })
  @IsString()
  @Matches(/^[0-9a-fA-F:.,/ ]*$/, {
    message: 'TRUSTED_PROXIES must be a comma-separated list of IP addresses or CIDRs',
  })
  TRUSTED_PROXIES = '127.0.0.1,::1';

  @Env({ description: 'Maximum request body size in bytes (larger bodies get 413).', default: '102400' })
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  BODY_LIMIT_BYTES = 102400;

  @Env({ description: 'Log level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.', default: 'info' })
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Env({
    description: 'Comma-separated CIDRs allowed to read `/metrics` without a token.',
    default: '127.0.0.1/32,::1/128',
  })
  @IsString()
  @Matches(/^[0-9a-fA-F:.,/ ]*$/, { message: 'METRICS_ALLOW must be a comma-separated list of CIDRs' })
  METRICS_ALLOW = '127.0.0.1/32,::1/128';

  @Env({
    description: 'Serve Swagger UI at `/docs`. Defaults to on outside production, off in production.',
    default: '',
  })
  @Transform(toBool)
  @IsOptional()
  @IsBoolean()
  DOCS_ENABLED?: boolean;

  @Env({
    description: 'How long shutdown waits for in-flight requests before closing connections (ms).',
    default: '10000',
  })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(120000)
  SHUTDOWN_TIMEOUT_MS = 10000;

  @Env({
    description:
      'Public URL of the service, as users reach it: the links in mails (`/verify-email#token=…`, `/reset-password#token=…`) start with it. Unset: the URL the service actually listens on (`http://HOST:<bound port>`, so it follows `PORT`; a wildcard `HOST` becomes loopback). Set it in production (the address behind your proxy or TLS).',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'PUBLIC_URL must be an http(s) URL' },
  )
  PUBLIC_URL?: string;

  @Env({
    description: 'Deprecated name of `PUBLIC_URL`, still read when `PUBLIC_URL` is unset.',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'PUBLIC_BASE_URL must be an http(s) URL' },
  )
  PUBLIC_BASE_URL?: string;

  @Env({ description: 'Sender address of mails.', default: 'security-backend@localhost' })
  @IsString()
  @MaxLength(200)
  MAIL_FROM = 'security-backend@localhost';

  @Env({
    description: 'How often the notification outbox is delivered (ms); 0 turns delivery off (tests read the outbox).',
    default: '2000',
  })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  MAIL_DELIVERY_INTERVAL_MS = 2000;

  @Env({
    description:
      'Days audit events are kept; 0 keeps them forever. A daily job (`audit.retention`) verifies the expired prefix of the chain, writes a checkpoint (last deleted sequence and hash) and deletes it in batches; `audit:verify` verifies from the newest checkpoint.',
    default: '400',
  })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(36_500)
  AUDIT_RETENTION_DAYS = 400;

  @Env({
    description: 'Argon2id memory cost in KiB (OWASP: 19456 with t=2, p=1). Never lower in production.',
    default: '19456',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(4 * 1024 * 1024)
  ARGON2_MEMORY_KIB = 19456;

  @Env({ description: 'Argon2id time cost (iterations).', default: '2' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  ARGON2_TIME_COST = 2;

  @Env({ description: 'Argon2id parallelism.', default: '1' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(16)
  ARGON2_PARALLELISM = 1;

  @Env({
    description:
      'Size of the libuv thread pool (set before start-up): file, DNS and asynchronous crypto work. Password hashing has threads of its own (HASH_CONCURRENCY).',
    default: '4',
  })
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(64)
  UV_THREADPOOL_SIZE = 4;

  @Env({
    description:
      'Password hashing threads, so hashes computed at once; the rest wait in order. 0 (the default) chooses the cores this process may use (`os.availableParallelism()`, which honours CPU affinity) minus one, so the event loop keeps a core during a login flood; at least 1.',
    default: '0',
  })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(64)
  HASH_CONCURRENCY = 0;

  @Env({
    description:
      "Niceness (0–19) of the password hashing threads (Linux): above the event loop's 0, so where the cores are all busy, as in a login flood on a small machine, the scheduler gives the event loop the larger share and the API keeps answering while logins wait. 0 gives the hashes the same priority as requests.",
    default: '10',
  })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(19)
  HASH_THREAD_NICE = 10;

  @Env({
    description:
      'Failed logins within the window that lock one source (a device, or a client network: /24 IPv4, /64 IPv6) out of one account; other sources are not affected.',
    default: '5',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  LOCKOUT_MAX_ATTEMPTS = 5;

  @Env({
    description: 'Window (minutes) in which failed logins of one source to one account are counted.',
    default: '30',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  LOCKOUT_WINDOW_MINUTES = 30;

  @Env({ description: 'How long (minutes) a locked source stays locked out of the account.', default: '30' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  LOCKOUT_DURATION_MINUTES = 30;

  @Env({
    description:
      'Failed logins to one account from all untrusted sources together (neither a device token of the account nor a network it signed in from) per hour-long window; past it the account refuses untrusted sources without checking the password for LOCKOUT_DURATION_MINUTES, doubling at each further lock up to 24 hours, and its owner is mailed once. Trusted sources are not affected.',
    default: '10',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  LOCKOUT_UNTRUSTED_MAX_ATTEMPTS = 10;

  @Env({
    description:
      'Lifetime (days) of a device token (issued at each sign-in, `__Host-device` cookie or `deviceToken` field) and of the trust in a network an account signed in from.',
    default: '90',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(400)
  DEVICE_TOKEN_DAYS = 90;

  @Env({
    description:
      'Failed logins from one client IP (in the lockout window), to any accounts, before that IP gets growing delays (429): one address cannot spray guesses over many accounts.',
    default: '20',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10000)
  IP_FAILURE_THRESHOLD = 20;

  @Env({
    description:
      'Step-up window (minutes): a session may take a sensitive action (a key with a sensitive scope, revealing or exporting PII, changing the password, granting scopes) only this long after it last proved the password (login or POST /v1/auth/reauthenticate); later it answers 403 RECENT_LOGIN_REQUIRED.',
    default: '15',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  STEP_UP_MAX_AGE_MINUTES = 15;

  @Env({
    description:
      'The window (seconds) of the per-client-address limits `IP_LIMIT_*` (GCRA on the rate-limit store: Redis when `REDIS_URL` is set; one slot back every window/limit).',
    default: '60',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  IP_LIMIT_WINDOW_SECONDS = 60;

  @Env({
    description:
      'Requests per client address (trusted `request.ip`) per `IP_LIMIT_WINDOW_SECONDS` to POST /v1/auth/register (each costs an Argon2 hash and may send a mail); more answer 429 TOO_MANY_REQUESTS.',
    default: '10',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  IP_LIMIT_REGISTER = 10;

  @Env({
    description:
      'Requests per client address (trusted `request.ip`) per `IP_LIMIT_WINDOW_SECONDS` to POST /v1/auth/login, counting every attempt (IP_FAILURE_THRESHOLD counts only failures); more answer 429 TOO_MANY_REQUESTS.',
    default: '20',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  IP_LIMIT_LOGIN = 20;

  @Env({
    description:
      'Requests per client address (trusted `request.ip`) per `IP_LIMIT_WINDOW_SECONDS` to POST /v1/auth/password/forgot (each may send a mail); more answer 429 TOO_MANY_REQUESTS.',
    default: '10',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  IP_LIMIT_FORGOT = 10;

  @Env({
    description:
      'Requests per client address (trusted `request.ip`) per `IP_LIMIT_WINDOW_SECONDS` to POST /v1/auth/password/reset; more answer 429 TOO_MANY_REQUESTS.',
    default: '10',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  IP_LIMIT_RESET = 10;

  @Env({
    description:
      'Requests per client address (trusted `request.ip`) per `IP_LIMIT_WINDOW_SECONDS` to POST /v1/auth/email/verify; more answer 429 TOO_MANY_REQUESTS.',
    default: '10',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  IP_LIMIT_VERIFY = 10;

  @Env({
    description:
      'Requests per client address (trusted `request.ip`) per `IP_LIMIT_WINDOW_SECONDS` to POST /v1/auth/email/resend (the mails themselves are capped by AUTH_MAILS_PER_HOUR per address); more answer 429 TOO_MANY_REQUESTS.',
    default: '10',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  IP_LIMIT_RESEND = 10;

  @Env({
    description:
      'Requests per client address (trusted `request.ip`) per `IP_LIMIT_WINDOW_SECONDS` to POST /v1/auth/password/suggest; more answer 429 TOO_MANY_REQUESTS.',
    default: '30',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  IP_LIMIT_SUGGEST = 30;

  @Env({
    description:
      'Requests per client address (trusted `request.ip`) per `IP_LIMIT_WINDOW_SECONDS` to POST /v1/auth/reauthenticate (each costs an Argon2 verification; wrong passwords also count toward the account lockout); more answer 429 TOO_MANY_REQUESTS.',
    default: '10',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  IP_LIMIT_REAUTHENTICATE = 10;

  @Env({ description: 'Session idle timeout in minutes.', default: '30' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  SESSION_IDLE_MINUTES = 30;

  @Env({
    description:
      'How long a resolved session (and a user as `GET /v1/me` shows it) stays in the in-process cache (ms); logout, revocation and account changes invalidate it at once on this instance and through LISTEN/NOTIFY on the others. 0 reads the database on every request.',
    default: '10000',
  })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300_000)
  SESSION_CACHE_TTL_MS = 10000;

  @Env({
    description: 'Entries in the in-process session cache and in the user cache (least recently used are dropped).',
    default: '10000',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  SESSION_CACHE_SIZE = 10000;

  @Env({ description: 'Session absolute lifetime in hours.', default: '24' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(720)
  SESSION_ABSOLUTE_HOURS = 24;

  @Env({
    description:
      'Account mails (verification, reset, "someone tried to register") of one kind to one address per rolling hour; more are not sent (resend answers 429 VERIFICATION_MAIL_LIMIT, the others the same 202 as ever).',
    default: '3',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  AUTH_MAILS_PER_HOUR = 3;

  @Env({
    description:
      'A password reset by mail also revokes every live API key of the account (the owner is mailed the list); `false` keeps keys across a reset (sessions end either way).',
    default: 'true',
  })
  @Transform((p) => toBool(p) ?? true)
  @IsBoolean()
  RESET_REVOKES_API_KEYS = true;

  @Env({
    description:
      'Accounts must verify their email address before using the service: until then a session may only sign out, list and end its sessions, read /v1/me, read and change its public profile fields and have the verification mail sent again (POST /v1/auth/email/resend); everything else, and every API key of an unverified owner, answers 403 EMAIL_NOT_VERIFIED. Per instance.',
    default: 'true',
  })
  @Transform((p) => toBool(p) ?? true)
  @IsBoolean()
  REQUIRE_VERIFIED_EMAIL = true;

  @Env({
    description:
      'Most active sessions one user may hold (checked at login: a login beyond it ends the oldest; ASVS 5.0 7.1.2).',
    default: '20',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  SESSION_MAX_PER_USER = 20;

  @Env({
    description:
      'Maximum password age in days before login reports `passwordNeedsRotation`; 0 = off (ASVS 5.0 6.2.10: no forced periodic rotation).',
    default: '0',
  })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3650)
  PASSWORD_MAX_AGE_DAYS = 0;

  @Env({
    description:
      'URL that receives signed notification webhooks (key expiry warnings, revocations, new networks). Unset: mail only. Needs `NOTIFY_WEBHOOK_SECRET`.',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'NOTIFY_WEBHOOK_URL must be an http(s) URL' },
  )
  NOTIFY_WEBHOOK_URL?: string;

  @Env({
    description:
      'Redis URL (`redis://host:6379/0`). Set: per-key and per-address rate limits are shared by all instances. Unset: in-process limits.',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @Env({
    description:
      'How new API key hashes are made: `hmac-sha256` (peppered, microseconds) or `argon2id` (tens of milliseconds on a cache miss). Stored hashes of the other scheme are upgraded on their next successful use.',
    default: 'hmac-sha256',
  })
  @IsIn(['hmac-sha256', 'argon2id'])
  API_KEY_HASH: 'hmac-sha256' | 'argon2id' = 'hmac-sha256';

  @Env({ description: 'Active or rotating API keys a user may hold.', default: '10' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  API_KEY_MAX_PER_USER = 10;

  @Env({
    description: 'How long a verified API key stays in the in-process cache (ms); changes invalidate it at once.',
    default: '10000',
  })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300_000)
  API_KEY_CACHE_TTL_MS = 10000;

  @Env({ description: 'Entries in the in-process API key cache (least recently used are dropped).', default: '10000' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  API_KEY_CACHE_SIZE = 10000;

  @Env({ description: 'How often in-memory API key usage counts are written to the database (ms).', default: '1000' })
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(1000)
  USAGE_FLUSH_INTERVAL_MS = 1000;

  @Env({
    description:
      'Oldest key version of `ENCRYPTION_KEYS` that may still decrypt (raise it to retire older versions after a rewrap).',
    default: '1',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(999_999)
  ENCRYPTION_MIN_DECRYPTION_VERSION = 1;

  @Env({
    description:
      'Warn when a key version has made this percentage of the 2^32 encryptions AES-GCM allows with random IVs.',
    default: '50',
  })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  ENCRYPTION_WARN_PERCENT = 50;

  @Env({
    description: 'How often the API key jobs run (expiry, end of grace periods, expiry warnings), ms; 0 = off.',
    default: '60000',
  })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  API_KEY_JOBS_INTERVAL_MS = 60000;

  @Env({
    description:
      'Comma-separated directories whose certificate files may be added to the inventory (`{path}` sources). Unset: `DATA_DIR/tls` outside production, none in production.',
    default: '',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  CERT_FILE_DIRS?: string;

  @Env({
    description:
      'Which endpoints may be probed for certificates: hostnames, `*.wildcards`, CIDRs and the words `loopback`, `private`, `public`, comma-separated; `none` for nothing. Checked on the addresses DNS returns. Unset: `loopback,public` outside production, none in production.',
    default: '',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  CERT_ENDPOINT_ALLOW?: string;

  @Env({ description: 'Time allowed to connect to an endpoint and finish the TLS handshake (ms).', default: '5000' })
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  CERT_ENDPOINT_TIMEOUT_MS = 5000;

  @Env({ description: 'A certificate expiring within this many days is WARN.', default: '30' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(365)
  CERT_WARN_DAYS = 30;

  @Env({ description: 'A certificate expiring within this many days (or expired) is CRITICAL.', default: '7' })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(365)
  CERT_CRITICAL_DAYS = 7;

  @Env({
    description: 'When the daily certificate check runs (cron syntax, UTC); `off` turns it off.',
    default: '0 3 * * *',
  })
  @IsString()
  @Matches(/^(off|[0-9*,/\- ]{9,100})$/, {
    message: 'CERT_CHECK_CRON must be a cron expression (5 or 6 fields) or off',
  })
  CERT_CHECK_CRON = '0 3 * * *';

  @Env({ description: 'Certificates checked at once by the scheduled check.', default: '4' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  CERT_CHECK_CONCURRENCY = 4;

  @Env({
    description:
      'PEM file of extra trust anchors (a private CA) against which chain completeness is judged, besides the public roots and, in development, the dev CA.',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  CERT_EXTRA_CA_FILE?: string;

  // Second factors and breached passwords (issue 19, libs/mfa and libs/auth/src/password).

  @Env({
    description:
      'Roles that must have a second factor, comma-separated (`admin`, `user`; empty: none). A session of such a user without one may only enrol a factor, sign out, list its sessions and read /v1/me (403 MFA_ENROLMENT_REQUIRED elsewhere).',
    default: 'admin',
  })
  @IsString()
  @Matches(/^(admin|user|admin,user|user,admin)?$/, {
    message: 'MFA_REQUIRED_ROLES must list roles, comma-separated without spaces: admin, user',
  })
  MFA_REQUIRED_ROLES = 'admin';

  @Env({
    description:
      'Lifetime (seconds) of the `mfaToken` a login answers for an account with a second factor: the second step must follow within it (single use).',
    default: '300',
  })
  @Transform(toInt)
  @IsInt()
  @Min(30)
  @Max(1800)
  MFA_TOKEN_TTL_SECONDS = 300;

  @Env({
    description:
      'Days a device token that completed a sign-in with a second factor skips the factor step at the next sign-ins (the password step still counts under the lockout; the session is `aal1`, so sensitive actions still need a factor). 0: off. Never for roles in MFA_REQUIRED_ROLES.',
    default: '30',
  })
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(365)
  MFA_REMEMBER_DEVICE_DAYS = 30;

  @Env({
    description:
      'Passwordless sign-in with a passkey (a discoverable WebAuthn credential): `POST /v1/auth/passkey/options` and `/v1/auth/passkey/login` answer; off, they answer 404 and passkeys serve as second factors only. RP ID and origin come from `PUBLIC_URL`.',
    default: 'false',
  })
  @Transform((p) => toBool(p) ?? false)
  @IsBoolean()
  PASSKEY_LOGIN = false;

  @Env({
    description: 'Issuer shown by authenticator apps for TOTP factors (the `issuer` of the otpauth:// URI).',
    default: 'Security Backend',
  })
  @IsString()
  @MaxLength(64)
  @Matches(/^[^:]+$/, { message: 'MFA_TOTP_ISSUER must not contain a colon' })
  MFA_TOTP_ISSUER = 'Security Backend';

  @Env({
    description:
      'Base URL of a Pwned Passwords compatible range API (k-anonymity: only the first 5 hex characters of the SHA-1 leave the service, with `Add-Padding: true`), e.g. `https://api.pwnedpasswords.com`. Unset: no online check. On a timeout or error the check is skipped and a warning logged (it never blocks a sign-up).',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'PWNED_PASSWORDS_URL must be an http(s) URL' },
  )
  PWNED_PASSWORDS_URL?: string;

  @Env({ description: 'Timeout of one Pwned Passwords range lookup (ms).', default: '1000' })
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(10_000)
  PWNED_PASSWORDS_TIMEOUT_MS = 1000;

  @Env({
    description:
      'Offline breached-password list for air-gapped installs: a file of SHA-1 hashes (40 hex characters a line, optionally `:count` after, sorted ascending as the Pwned Passwords downloads are), binary-searched on disk. Unset: none.',
    default: '',
  })
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  BREACHED_PASSWORDS_FILE?: string;
}
