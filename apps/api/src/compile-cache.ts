// Imported by main.ts right after the thread pool size: on Node ≥ 22.1 the compiled code of every module loaded after
// this is cached on disk (NODE_COMPILE_CACHE, or a directory under the system temp dir), so a restart skips most of
// the parsing and compiling of the framework; loading the code is most of a cold start. A no-op on older Node.
import * as nodeModule from 'node:module';

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
