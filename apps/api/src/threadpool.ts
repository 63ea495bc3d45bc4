// Imported first by main.ts: the libuv pool (where Argon2 runs) is sized before anything can start using it.
process.env.UV_THREADPOOL_SIZE ||= '4';
