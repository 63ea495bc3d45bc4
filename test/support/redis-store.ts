// The Redis store is internal to libs/api-keys; tests reach it through this one re-export.
export { RedisRateLimitStore as RedisRateLimitStoreForTests } from '../../libs/api-keys/src/rate-limit/rate-limiter';
