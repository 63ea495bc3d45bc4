/**
 * GCRA (generic cell rate algorithm): a limit of `limit` requests per `windowMs`, bursts up to `limit`, one number
 * per key (the theoretical arrival time). No timers, no per-hit allocation: memory is one entry per active key.
 */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the full limit is available again. */
  resetMs: number;
  /** Milliseconds until the next request would be allowed (0 when allowed). */
  retryAfterMs: number;
}

export function gcra(
  tat: number | undefined,
  now: number,
  limit: number,
  windowMs: number,
): { decision: RateLimitDecision; tat?: number } {
  const interval = windowMs / limit;
  const base = Math.max(tat ?? now, now);
  const next = base + interval;
  if (next - now > windowMs) {
    const retryAfterMs = Math.ceil(next - windowMs - now);
    return { decision: { allowed: false, limit, remaining: 0, resetMs: Math.ceil(base - now), retryAfterMs } };
  }
  const remaining = Math.floor((windowMs - (next - now)) / interval + 1e-9);
  return { decision: { allowed: true, limit, remaining, resetMs: Math.ceil(next - now), retryAfterMs: 0 }, tat: next };
}

/**
 * The same algorithm in Redis, atomically (Lua): KEYS[1] bucket; ARGV now (ms), limit, windowMs. Times are kept in
 * integer microseconds and stored with `%.0f`: Lua's `tostring` keeps 14 significant digits, which would round a
 * millisecond timestamp plus a sub-millisecond interval back to the same value and never fill a high-rate bucket.
 * A bucket is kept at least a second after it would be full again (a past TAT counts as now, so keeping it is
 * harmless): instances whose clocks differ by milliseconds, or a slow round trip, must not find it already gone.
 */
export const GCRA_LUA = `
local now = tonumber(ARGV[1]) * 1000
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3]) * 1000
local interval = window / limit
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nxt = tat + interval
if nxt - now > window then
  return {0, 0, math.ceil((tat - now) / 1000), math.ceil((nxt - window - now) / 1000)}
end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.max(1000, math.ceil((nxt - now) / 1000)))
return {1, math.floor((window - (nxt - now)) / interval + 0.000000001), math.ceil((nxt - now) / 1000), 0}
`;
