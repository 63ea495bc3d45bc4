import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { AppConfig } from '@app/core';

/** The upper-case hex SHA-1 of a password, as the Pwned Passwords lists write it. */
export function sha1Hex(password: string): string {
  return createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
}

/** Whether `body` (a range answer, lines `SUFFIX:COUNT`) lists `suffix` with a count above 0 (padding lines are `:0`). */
export function rangeListsSuffix(body: string, suffix: string): boolean {
  for (const line of body.split('\n')) {
    const [s, count] = line.trim().split(':');
    if (s?.toUpperCase() === suffix && Number(count ?? '1') > 0) return true;
  }
  return false;
}

/** The outbound HTTP of the range lookup (a side effect, replaceable in tests): GET `<base>/range/<prefix>`. */
@Injectable()
export class PwnedRangeClient {
  async range(baseUrl: string, prefix: string, timeoutMs: number): Promise<string> {
    const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/range/${prefix}`, {
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'add-padding': 'true', 'user-agent': 'security-backend' },
    });
    if (res.status !== 200) {
      await res.arrayBuffer().catch(() => undefined);
      throw new Error(`range lookup answered HTTP ${res.status}`);
    }
    return res.text();
  }
}

/**
 * A sorted file of SHA-1 hashes (one a line, optionally `:count` after), binary-searched on disk: a few reads of
 * 128 bytes per lookup, whatever the file's size (the full Pwned Passwords list is tens of gigabytes).
 */
export class BreachedHashFile {
  constructor(private readonly path: string) {}

  async contains(hash: string): Promise<boolean> {
    const file = await open(this.path, 'r');
    try {
      const size = (await file.stat()).size;
      let lo = 0;
      let hi = size;
      const buf = Buffer.alloc(128);
      // Invariant: a line starting at an offset below `lo` is < hash; a line starting at or after `hi` is > hash.
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const line = await this.lineAtOrAfter(file, mid, buf, lo);
        if (!line) {
          hi = mid;
          continue;
        }
        // The list is public: comparing against it needs no constant time.
        const order = Buffer.compare(Buffer.from(line.text.slice(0, 40).toUpperCase()), Buffer.from(hash));
        if (order === 0) return true;
        if (order < 0) lo = line.end;
        else hi = mid;
      }
      return false;
    } finally {
      await file.close();
    }
  }

  /** The first whole line starting at or after `at` (at `floor` itself when `at === floor`), or undefined at EOF. */
  private async lineAtOrAfter(
    file: Awaited<ReturnType<typeof open>>,
    at: number,
    buf: Buffer,
    floor: number,
  ): Promise<{ text: string; end: number } | undefined> {
    let start = at;
    if (at > floor) {
      // Step back one byte: if it is a newline, `at` starts a line.
      const { bytesRead, buffer } = await file.read(buf, 0, buf.length, at - 1);
      const nl = buffer.subarray(0, bytesRead).indexOf(10);
      if (nl < 0) return undefined;
      start = at - 1 + nl + 1;
    }
    const { bytesRead, buffer } = await file.read(buf, 0, buf.length, start);
    if (!bytesRead) return undefined;
    const chunk = buffer.subarray(0, bytesRead);
    const nl = chunk.indexOf(10);
    const text = chunk
      .subarray(0, nl < 0 ? bytesRead : nl)
      .toString('ascii')
      .trim();
    if (!text) return undefined;
    return { text, end: start + (nl < 0 ? bytesRead : nl + 1) };
  }
}

/**
 * ASVS 5.0 6.2.12: a new password is checked against breached passwords: the offline list (BREACHED_PASSWORDS_FILE)
 * and the k-anonymity range API (PWNED_PASSWORDS_URL; only the first 5 hex characters of the SHA-1 leave the
 * service, the answer padded). The range lookup fails open: on a timeout or error the check is skipped and a
 * warning logged, so an outage of the outside service never blocks a sign-up (as Kratos does by default). Nothing
 * about the password (not even its hash prefix) is logged.
 */
@Injectable()
export class BreachedPasswords implements OnModuleInit {
  private readonly logger = new Logger('BreachedPasswords');
  private readonly file?: BreachedHashFile;

  constructor(
    private readonly config: AppConfig,
    private readonly client: PwnedRangeClient,
  ) {
    const path = config.env.BREACHED_PASSWORDS_FILE;
    if (path) this.file = new BreachedHashFile(path);
  }

  /** A configured list that cannot be read stops the start (a silent gap in the check would be worse). */
  async onModuleInit(): Promise<void> {
    const path = this.config.env.BREACHED_PASSWORDS_FILE;
    if (path && !(await stat(path).catch(() => undefined))?.isFile())
      throw new Error('BREACHED_PASSWORDS_FILE does not name a readable file');
  }

  get enabled(): boolean {
    return !!this.file || !!this.config.env.PWNED_PASSWORDS_URL;
  }

  async isBreached(password: string): Promise<boolean> {
    if (!this.enabled) return false;
    const hash = sha1Hex(password);
    if (this.file && (await this.file.contains(hash))) return true;
    const base = this.config.env.PWNED_PASSWORDS_URL;
    if (!base) return false;
    try {
      const body = await this.client.range(base, hash.slice(0, 5), this.config.env.PWNED_PASSWORDS_TIMEOUT_MS);
      return rangeListsSuffix(body, hash.slice(5));
    } catch (err) {
      const reason = (err as { name?: unknown } | null)?.name === 'TimeoutError' ? 'timeout' : 'unavailable';
      this.logger.warn({ reason }, 'breached-password range lookup skipped: the password was not checked online');
      return false;
    }
  }
}
