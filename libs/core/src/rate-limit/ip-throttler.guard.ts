import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerModuleOptions, ThrottlerRequest } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../config/load-config';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';
import { GcraThrottlerStorage } from './gcra-throttler.storage';
import { RateLimiter } from './rate-limiter';

/**
 * The named per-address throttlers. A route is limited by the ones it names with `@Throttle({ <name>: {} })`, at the
 * limit `IP_LIMIT_<NAME>` per `IP_LIMIT_WINDOW_SECONDS`; a route that names none is not limited per address.
 */
export const IP_THROTTLERS = [
  'register',
  'login',
  'forgot',
  'reset',
  'verify',
  'resend',
  'suggest',
  'reauthenticate',
] as const;
export type IpThrottler = (typeof IP_THROTTLERS)[number];

/** For `@SkipThrottle(...)`: every per-address throttler skipped (health and metrics, polled by monitors). */
export const ALL_IP_THROTTLERS: Record<IpThrottler, true> = Object.fromEntries(
  IP_THROTTLERS.map((n) => [n, true]),
) as Record<IpThrottler, true>;

/** `@nestjs/throttler`'s metadata key for a throttler's limit (`THROTTLER:LIMIT` + name; not exported by the package). */
const THROTTLER_LIMIT = 'THROTTLER:LIMIT';
const THROTTLER_SKIP = 'THROTTLER:SKIP';

const LIMIT_SETTING: Record<IpThrottler, keyof AppConfig['env']> = {
  register: 'IP_LIMIT_REGISTER',
  login: 'IP_LIMIT_LOGIN',
  forgot: 'IP_LIMIT_FORGOT',
  reset: 'IP_LIMIT_RESET',
  verify: 'IP_LIMIT_VERIFY',
  resend: 'IP_LIMIT_RESEND',
  suggest: 'IP_LIMIT_SUGGEST',
  reauthenticate: 'IP_LIMIT_REAUTHENTICATE',
};

/** `ThrottlerModule.forRootAsync` options: the named throttlers from configuration, stored on the GCRA limiter. */
export function ipThrottlerOptions(config: AppConfig, limiter: RateLimiter): ThrottlerModuleOptions {
  return {
    storage: new GcraThrottlerStorage(limiter),
    throttlers: IP_THROTTLERS.map((name) => ({
      name,
      limit: config.env[LIMIT_SETTING[name]] as number,
      ttl: config.env.IP_LIMIT_WINDOW_SECONDS * 1000,
    })),
  };
}

const named = new WeakMap<object, boolean>();

/**
 * A plain `true` where the package types `canActivate` as a promise: Nest's guard runner (like `CanActivate`) takes a
 * boolean as it is, while a promise costs it an `await` on every request.
 */
const ADMIT = true as unknown as Promise<boolean>;

/** Whether the route (method or controller) names `name` with `@Throttle` and does not skip it. */
function routeNames(context: ExecutionContext, name: string): boolean {
  const targets = [context.getHandler(), context.getClass()];
  if (targets.some((t) => Reflect.getMetadata(THROTTLER_SKIP + name, t) === true)) return false;
  return targets.some((t) => Reflect.hasMetadata(THROTTLER_LIMIT + name, t));
}

/**
 * The per-address limits, registered globally beside the AccessGuard and run before it: `@nestjs/throttler`'s guard,
 * with
 * - opt-in throttlers: a route is limited only by the throttlers it names (the package applies every throttler to
 *   every route); routes naming none (most, and every authenticated one but resend) pay one WeakMap lookup and get a plain
 *   `true` (a promise would cost Nest an `await` on every request);
 * - the tracker the package's own: the trusted client address, `request.ip`, which honours `TRUSTED_PROXIES` only
 *   (never a raw X-Forwarded-For), IPv6 grouped by /64;
 * - a bucket per throttler and address (not per handler), in the GCRA storage;
 * - the project's answer: 429 problem+json `TOO_MANY_REQUESTS` (distinct from an API key's `RATE_LIMITED`, so a
 *   client can tell its address from its key), `Retry-After`, and `RateLimit-Limit/Remaining/Reset` as the per-key
 *   limits send them.
 */
@Injectable()
export class IpThrottlerGuard extends ThrottlerGuard {
  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return ADMIT;
    const handler = context.getHandler();
    let limited = named.get(handler);
    if (limited === undefined) {
      limited = IP_THROTTLERS.some((name) => routeNames(context, name));
      named.set(handler, limited);
    }
    return limited ? super.canActivate(context) : ADMIT;
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = request;
    const name = throttler.name!;
    if (!routeNames(context, name)) return true;
    const { req, res } = this.getRequestResponse(context);
    const tracker = await getTracker(req, context);
    const key = generateKey(context, tracker, name);
    const record = await this.storageService.increment(key, ttl, limit, blockDuration, name);
    const headers: Record<string, string> = {
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(Math.max(0, limit - record.totalHits)),
      'ratelimit-reset': String(record.timeToExpire),
    };
    if (record.isBlocked) {
      headers['retry-after'] = String(record.timeToBlockExpire);
      throw new CoreException(
        CoreErrorCode.TOO_MANY_REQUESTS,
        `Too many requests from this address: at most ${limit} every ${Math.round(ttl / 1000)} s here; retry after ${record.timeToBlockExpire} s.`,
        { headers },
      );
    }
    (res as FastifyReply).headers(headers);
    return true;
  }

  /** One bucket per throttler and client address, shared by every route naming that throttler. */
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `ip:${name}:${tracker}`;
  }
}
