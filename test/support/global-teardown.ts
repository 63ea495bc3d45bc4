import { rmSync } from 'node:fs';
import { STATE_FILE } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __embeddedPg?: { stop(): Promise<void>; opts: { dataDir: string } } }).__embeddedPg;
  if (server) {
    await server.stop();
    rmSync(server.opts.dataDir, { recursive: true, force: true });
  }
  rmSync(STATE_FILE, { force: true });
}
