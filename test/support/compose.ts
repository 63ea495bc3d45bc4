import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './process';

/** The parts of docker/compose.yaml the tests read (after YAML merge keys). */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  environment?: Record<string, string>;
  secrets?: { source: string; target: string; mode: number; uid?: string; gid?: string }[];
  volumes?: string[];
  tmpfs?: string[];
  networks?: Record<string, { ipv4_address?: string } | null> | string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }> | string[];
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  mem_limit?: string;
  pids_limit?: number;
  cpus?: number;
  user?: string;
  ports?: string[];
  profiles?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean } | null>;
  secrets: Record<string, { file: string }>;
}

/**
 * Compose's variable interpolation for what the file uses: `${VAR}`, `${VAR:-default}` and `$$` (a literal `$`),
 * with `vars` standing for the shell environment `docker compose` runs in.
 */
export function interpolate(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([^}]*)\}/g, (m, inner?: string) => {
    if (m === '$$') return '$';
    const at = inner!.indexOf(':-');
    const name = at === -1 ? inner! : inner!.slice(0, at);
    const v = vars[name];
    return v !== undefined && v !== '' ? v : at === -1 ? '' : inner!.slice(at + 2);
  });
}

export function loadCompose(): ComposeFile {
  return parse(readFileSync(join(ROOT, 'docker', 'compose.yaml'), 'utf8'), { merge: true }) as ComposeFile;
}

/** The app services: the ones built from the repository's Dockerfile. */
export function appServiceNames(compose: ComposeFile): string[] {
  return Object.entries(compose.services)
    .filter(([, s]) => s.build?.dockerfile === 'docker/Dockerfile')
    .map(([name]) => name);
}

/** `ENV` of the Dockerfile's last stage (what a container of the image starts with before compose's environment). */
export function imageEnv(): Record<string, string> {
  const text = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const lastStage = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const line of lastStage.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1]] = m[2];
  }
  return env;
}

/** The environment a container of `service` gets: the image's ENV, then compose's `environment:`, interpolated. */
export function containerEnv(service: ComposeService, vars: Record<string, string | undefined> = {}) {
  const env: Record<string, string> = { ...imageEnv() };
  for (const [k, v] of Object.entries(service.environment ?? {})) env[k] = interpolate(String(v), vars);
  return env;
}
