// Imported first by main.ts: the libuv pool (file, DNS and asynchronous crypto work; password hashing has threads of
// its own) is sized before anything can start using it.
process.env.UV_THREADPOOL_SIZE ||= '4';
