// The Redis store is internal to libs/core; tests reach it through this one re-export.
export { RedisRateLimitStore as RedisRateLimitStoreForTests } from '../../libs/core/src/rate-limit/rate-limiter';
