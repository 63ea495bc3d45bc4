import { chmodSync, chownSync, existsSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import type { AppConfig } from '../config/load-config';
import { SecretStore } from '../secrets/secret-store';
import { StartupError } from './startup-error';

/** The app's own TLS listener (behind the proxy): certificate chain and key, both PEM. */
export interface AppTls {
  cert: string;
  key: string;
}

/** `APP_TLS_CERT_FILE` + `APP_TLS_KEY`: both or neither. */
export function appTls(config: AppConfig, secrets: SecretStore): AppTls | undefined {
  const certFile = config.env.APP_TLS_CERT_FILE;
  const key = secrets.get('APP_TLS_KEY');
  if (!certFile && !key) return undefined;
  if (!certFile) throw new StartupError('APP_TLS_KEY is set but APP_TLS_CERT_FILE is not: set both or neither');
  if (!key) throw new StartupError('APP_TLS_CERT_FILE is set: APP_TLS_KEY (or APP_TLS_KEY_FILE) is required with it');
  if (!existsSync(certFile)) throw new StartupError(`APP_TLS_CERT_FILE not found: ${certFile}`);
  const cert = readFileSync(certFile, 'utf8');
  if (!cert.includes('-----BEGIN CERTIFICATE-----'))
    throw new StartupError(`APP_TLS_CERT_FILE holds no PEM certificate: ${certFile}`);
  return { cert, key };
}

/**
 * Before listening on a Unix socket: a socket file left by a previous run (nothing accepts on it) is removed; a socket
 * another process still serves, or anything that is not a socket, is refused, so a second instance or a
 * misconfiguration cannot take over the path or delete a file.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new StartupError(`SOCKET_PATH ${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new StartupError(`SOCKET_PATH ${path} is in use by another process`);
  unlinkSync(path);
}

/**
 * After listening: the socket gets `SOCKET_MODE` (no permission for others) and `SOCKET_GROUP`. Until then it has
 * the permissions the umask gives (0700 under the systemd unit's UMask=0077), so there is no open window.
 */
export function restrictSocket(path: string, mode: string, group: string | undefined): void {
  if (group !== undefined) chownSync(path, -1, groupId(group));
  chmodSync(path, parseInt(mode, 8));
}

/** A gid from a number or a name in /etc/group (Node has no getgrnam). */
export function groupId(group: string, groupFile = '/etc/group'): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = existsSync(groupFile)
    ? readFileSync(groupFile, 'utf8')
        .split('\n')
        .find((l) => l.split(':')[0] === group)
    : undefined;
  if (!line) throw new StartupError(`SOCKET_GROUP ${group}: no such group`);
  return Number(line.split(':')[2]);
}
