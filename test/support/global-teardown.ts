import { rmSync } from 'node:fs';
import { stateFile } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __embeddedPg?: { stop(): Promise<void>; opts: { dataDir: string } } }).__embeddedPg;
  if (server) {
    await server.stop();
    rmSync(server.opts.dataDir, { recursive: true, force: true });
  }
  rmSync(stateFile(), { force: true });
}
