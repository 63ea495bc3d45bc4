import { Injectable } from '@nestjs/common';
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
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
    const real = await realpath(given).catch(() => given);
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
