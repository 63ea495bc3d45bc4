// Baseline: Argon2id verifications per second in a bare Node process, same parameters and thread pool as the service.
import argon2 from 'argon2';

const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 4);
const params = {
  type: argon2.argon2id,
  memoryCost: Number(process.env.ARGON2_MEMORY_KIB ?? 19456),
  timeCost: Number(process.env.ARGON2_TIME_COST ?? 2),
  parallelism: 1,
};
const hash = await argon2.hash('orbit velvet cactus lantern', params);
let done = 0;
const deadline = Date.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) {
      await argon2.verify(hash, 'orbit velvet cactus lantern');
      done++;
    }
  }),
);
process.stdout.write(JSON.stringify({ perSecond: done / seconds, done }) + '\n');
