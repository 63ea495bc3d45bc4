import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const API_MAIN = join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
export const CLI_MAIN = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

export function assertBuilt(): void {
  if (!existsSync(API_MAIN)) throw new Error('dist/ is missing: run the tests with `npm test` (it builds first)');
}

/** The environment a user's fresh shell would have: none of this project's variables. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key];
  return { ...env, ...extra };
}

export interface Spawned {
  child: ChildProcess;
  /** stdout and stderr interleaved. */
  output(): string;
  /** stdout alone, once the process has closed it: for `--json`, the whole of it must be one JSON document. */
  json(): Promise<Record<string, unknown>>;
  /** The exit code, on 'exit': stdout and stderr may still hold data (a long-running server's children keep them). */
  exited: Promise<number | null>;
  /** The exit code once stdout and stderr are closed too: for short commands whose whole output is checked. */
  closed: Promise<number | null>;
}

export function spawnNode(script: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Spawned {
  const child = spawn(process.execPath, [script, ...args], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  child.stdout!.on('data', (d) => {
    out += d;
    stdout += d;
  });
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const json = async () => {
    await closed;
    try {
      return JSON.parse(stdout) as Record<string, unknown>;
    } catch {
      throw new Error(`stdout is not one JSON document:\n${stdout.slice(0, 2000)}`);
    }
  };
  return { child, output: () => out, json, exited, closed };
}
