// Baseline: Argon2id verifications per second in a bare Node process with the implementation the service uses (Node's
// built-in `crypto.argon2`, OpenSSL's), the same parameters, and as many at once as the thread pool holds.
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 4);
const params = {
  nonce: randomBytes(16),
  memory: Number(process.env.ARGON2_MEMORY_KIB ?? 19456),
  passes: Number(process.env.ARGON2_TIME_COST ?? 2),
  parallelism: 1,
  tagLength: 32,
};
const compute = promisify(argon2);
const stored = await compute('argon2id', { ...params, message: 'orbit velvet cactus lantern' });
let done = 0;
const deadline = Date.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) {
      const tag = await compute('argon2id', { ...params, message: 'orbit velvet cactus lantern' });
      if (!timingSafeEqual(tag, stored)) throw new Error('Argon2 verification failed');
      done++;
    }
  }),
);
process.stdout.write(JSON.stringify({ perSecond: done / seconds, done }) + '\n');
