import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { SkipThrottle, Throttle, ThrottlerModuleOptions } from '@nestjs/throttler';
import { ManualClock } from '../../../../test/fakes/core';
import { loadConfig } from '../config/load-config';
import { DomainException } from '../errors/domain.exception';
import { ALL_IP_THROTTLERS, ipThrottlerOptions, IpThrottlerGuard } from './ip-throttler.guard';
import { RateLimiter } from './rate-limiter';

class Routes {
  @Throttle({ register: {} })
  register(): void {}

  @Throttle({ suggest: {} })
  suggest(): void {}

  open(): void {}
}

@Throttle({ login: {} })
class ThrottledController {
  login(): void {}

  @SkipThrottle(ALL_IP_THROTTLERS)
  health(): void {}
}

interface Reply {
  sent: Record<string, string>;
  headers(h: Record<string, string>): void;
}

describe('IpThrottlerGuard', () => {
  let clock: ManualClock;
  let limiter: RateLimiter;
  let guard: IpThrottlerGuard;
  let hits: number;

  beforeEach(async () => {
    clock = new ManualClock();
    limiter = new RateLimiter(loadConfig({}), clock);
    hits = 0;
    const hit = limiter.hitNow.bind(limiter);
    limiter.hitNow = (...args) => (hits++, hit(...args));
    // As ThrottlerModule wires it: the storage comes from the options (ThrottlerStorageProvider).
    const options = ipThrottlerOptions(loadConfig({}), limiter) as Exclude<ThrottlerModuleOptions, unknown[]>;
    guard = new IpThrottlerGuard(options, options.storage!, new Reflector());
    await guard.onModuleInit();
  });

  const call = async (cls: object, method: string, ip = '203.0.113.7', headers: Record<string, string> = {}) => {
    const reply: Reply = { sent: {}, headers: (h) => Object.assign(reply.sent, h) };
    const handler = (cls as { prototype: Record<string, () => void> }).prototype[method];
    const context = new ExecutionContextHost([{ ip, headers }, reply], cls as never, handler);
    context.setType('http');
    try {
      return { ok: await guard.canActivate(context), reply, error: undefined };
    } catch (error) {
      return { ok: false, reply, error: error as DomainException };
    }
  };

  it('limits a route that names a throttler at its configured limit, then answers TOO_MANY_REQUESTS with Retry-After', async () => {
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await call(Routes, 'register'));
    expect(answers.slice(0, 10).every((a) => a.ok)).toBe(true);
    expect(answers[0].reply.sent).toEqual({
      'ratelimit-limit': '10',
      'ratelimit-remaining': '9',
      'ratelimit-reset': '6',
    });
    expect(answers[10].error?.code).toBe('TOO_MANY_REQUESTS');
    expect(answers[10].error?.extras.headers).toMatchObject({ 'retry-after': '6', 'ratelimit-remaining': '0' });
    clock.advance(6_000);
    expect((await call(Routes, 'register')).ok).toBe(true);
  });

  it('leaves routes that name no throttler alone, without touching the store', async () => {
    for (let i = 0; i < 100; i++) expect((await call(Routes, 'open')).ok).toBe(true);
    expect(hits).toBe(0);
  });

  it('applies only the throttlers a route names (suggest counts apart from register)', async () => {
    for (let i = 0; i < 10; i++) await call(Routes, 'register');
    expect((await call(Routes, 'register')).ok).toBe(false);
    expect((await call(Routes, 'suggest')).ok).toBe(true);
    expect(hits).toBe(12);
  });

  it('honours @SkipThrottle under a controller-wide @Throttle', async () => {
    for (let i = 0; i < 20; i++) expect((await call(ThrottledController, 'login')).ok).toBe(true);
    expect((await call(ThrottledController, 'login')).error?.code).toBe('TOO_MANY_REQUESTS');
    for (let i = 0; i < 50; i++) expect((await call(ThrottledController, 'health')).ok).toBe(true);
  });

  it('tracks request.ip, never the X-Forwarded-For header; IPv6 per /64, IPv4-mapped as IPv4', async () => {
    for (let i = 0; i < 10; i++) await call(Routes, 'register', '198.51.100.9', { 'x-forwarded-for': `192.0.2.${i}` });
    expect((await call(Routes, 'register', '198.51.100.9', { 'x-forwarded-for': '192.0.2.99' })).ok).toBe(false);
    expect((await call(Routes, 'register', '::ffff:198.51.100.9')).ok).toBe(false);
    expect((await call(Routes, 'register', '198.51.100.10')).ok).toBe(true);
    for (let i = 0; i < 10; i++) await call(Routes, 'register', `2001:db8:1:2::${i + 1}`);
    expect((await call(Routes, 'register', '2001:db8:1:2:ffff::1')).ok).toBe(false);
    expect((await call(Routes, 'register', '2001:db8:1:3::1')).ok).toBe(true);
  });
});
