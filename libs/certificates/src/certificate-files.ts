import { Injectable } from '@nestjs/common';
import { constants } from 'node:fs';
import { open, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AppConfig, splitList } from '@app/core';

export const MAX_CERT_FILE_BYTES = 256 * 1024;

export class FileRefused extends Error {}

/** The directories certificate files may come from, and reading them without following a path out of them. */
@Injectable()
export class CertificateFiles {
  readonly directories: string[];

  constructor(config: AppConfig) {
    const dirs = config.env.CERT_FILE_DIRS ?? (config.isProduction ? '' : join(config.dataDir, 'tls'));
    this.directories = splitList(dirs);
    for (const d of this.directories)
      if (!isAbsolute(d)) throw new Error(`CERT_FILE_DIRS: "${d}" is not an absolute path`);
  }

  /**
   * Checks that the path, with symlinks resolved, lies inside an allowed directory (FileRefused otherwise), and returns
   * it as given (normalised): certbot's `live/…/fullchain.pem` is a symlink re-pointed at each renewal, so the
   * inventory must keep following the link, re-checked on every read.
   */
  async resolveAllowed(path: string): Promise<string> {
    return (await this.confine(path)).given;
  }

  /** The normalised path as given and its real path, once the real path is known to lie inside an allowed directory. */
  private async confine(path: string): Promise<{ given: string; real: string }> {
    if (!isAbsolute(path)) throw new FileRefused('path must be absolute');
    const given = resolve(path);
    const real = await realLocation(given);
    for (const dir of this.directories) {
      const root = await realpath(dir).catch(() => dir);
      const rel = relative(root, real);
      if (rel && !isAbsolute(rel) && !rel.split(sep).includes('..')) return { given, real };
    }
    throw new FileRefused(`path is not inside a directory allowed by CERT_FILE_DIRS`);
  }

  /** The file's text, if it is a regular file inside an allowed directory and not larger than 256 KiB. */
  async read(path: string): Promise<string> {
    const { real } = await this.confine(path);
    let handle;
    try {
      handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new FileRefused(
        code === 'ENOENT'
          ? 'file not found'
          : code === 'EACCES'
            ? 'file not readable by the service'
            : `file cannot be opened (${code ?? 'error'})`,
      );
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new FileRefused('not a regular file');
      if (stat.size > MAX_CERT_FILE_BYTES) throw new FileRefused(`file is larger than ${MAX_CERT_FILE_BYTES} bytes`);
      const buf = Buffer.alloc(stat.size);
      await handle.read(buf, 0, stat.size, 0);
      const text = buf.toString('utf8');
      const holdsKey = text.includes('PRIVATE KEY-----');
      buf.fill(0);
      if (holdsKey)
        throw new FileRefused(
          'the file holds a private key: point at a certificate-only file (the key was neither parsed nor kept)',
        );
      return text;
    } finally {
      await handle.close();
    }
  }
}

/**
 * Where a path really leads, whether or not its last parts exist: the longest existing ancestor with its symlinks
 * resolved, plus the rest; a dangling symlink is followed to where it points. A missing file behind a symlink that
 * points outside is thereby judged outside (refused as any outside path is), so "file not found" never reveals what
 * exists outside the allowed directories.
 */
async function realLocation(path: string): Promise<string> {
  const rest: string[] = [];
  let current = path;
  for (let hops = 0; hops < 64; hops++) {
    try {
      return join(await realpath(current), ...[...rest].reverse());
    } catch {
      const link = await readlink(current).catch(() => null);
      const parent = dirname(current);
      if (link !== null) current = resolve(parent, link);
      else if (parent === current) return path;
      else {
        rest.push(basename(current));
        current = parent;
      }
    }
  }
  throw new FileRefused('path is not inside a directory allowed by CERT_FILE_DIRS');
}
