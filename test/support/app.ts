import { DynamicModule, Type } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { bootHttpApp, CoreRuntime, RunningApp, SecretStore } from '@app/core';
import { AppModule } from '../../apps/api/src/app.module';
import { schema } from '../../apps/api/src/schema';
import { createTestDatabase, TestDatabase } from './database';
import { TestClock } from './test-clock';
import { checkAnswer } from './openapi-answers';

/** Every log line an app wrote during a test, to assert on and to grep for secrets. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

/** Secrets hygiene (ASVS 16.2.5): logs never hold a configured secret, a full API key, or a bearer credential. */
export function assertNoSecretsLogged(text: string, secretValues: string[]): void {
  for (const value of secretValues) {
    for (const part of value.split(',')) {
      const bare = part.replace(/^v?\d+:/, '');
      if (bare.length >= 8 && text.includes(bare)) throw new Error('a configured secret appears in the logs');
    }
  }
  const key = /sk_(live|test)_[A-Za-z0-9]{12}_[A-Za-z0-9]{20,}/.exec(text);
  if (key) throw new Error(`an API key appears in the logs: ${key[0].slice(0, 20)}…`);
  const bearer = /Bearer [A-Za-z0-9._~+/-]{20,}/.exec(text);
  if (bearer) throw new Error('a bearer credential appears in the logs');
  // Second factors (issue 19): a TOTP secret (alone or in its otpauth:// URI), a login's mfaToken, a recovery code.
  if (/otpauth:\/\/|secret=[A-Z2-7]{16,}/.test(text)) throw new Error('a TOTP secret appears in the logs');
  if (/mfa_[A-Za-z0-9_-]{43}/.test(text)) throw new Error('an mfaToken appears in the logs');
  if (/(?<![0-9a-z-])[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}(?![0-9a-z-])/.test(text))
    throw new Error('a recovery code appears in the logs');
}

export interface TestApp extends RunningApp {
  clock?: TestClock;
  db: TestDatabase;
  logs: LogCapture;
  dataDir: string;
  request(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  db?: TestDatabase;
  /** Extra modules composed beside AppModule (test-only probes). */
  imports?: (Type | DynamicModule)[];
  clock?: TestClock;
  /** Production Argon2 parameters instead of the cheap ones tests use by default. */
  productionHashing?: boolean;
}

/**
 * The versioned secrets the first app on a database used: further apps on it get the same unless a test gives its
 * own, as instances of one deployment do (a different one is refused at start: secret_fingerprints).
 */
const clusterSecrets = new WeakMap<TestDatabase, Record<string, string>>();

/** Boots the real API (same bootstrap as `npm start`) on a free port against a fresh test database. */
export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const db = opts.db ?? (await createTestDatabase());
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-test-data-'));
  const logs = new LogCapture();
  const running = await bootHttpApp(
    (runtime: CoreRuntime) => {
      const mod = AppModule.register(runtime);
      return { ...mod, imports: [...(mod.imports ?? []), ...(opts.imports ?? [])] };
    },
    schema,
    {
      env: {
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dataDir,
        DATABASE_URL: db.appUrl,
        MIGRATIONS_DATABASE_URL: db.ownerUrl,
        LOG_LEVEL: 'info',
        MAIL_DELIVERY_INTERVAL_MS: '0',
        ...(opts.productionHashing ? {} : { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' }),
        ...clusterSecrets.get(db),
        ...opts.env,
      },
      logDestination: logs,
      clock: opts.clock,
    },
  );
  const store = running.app.get(SecretStore);
  if (!clusterSecrets.has(db))
    clusterSecrets.set(db, {
      API_KEY_PEPPERS: store.require('API_KEY_PEPPERS'),
      ENCRYPTION_KEYS: store.require('ENCRYPTION_KEYS'),
    });
  // Every app a test starts is checked on the way down: no secret, API key or bearer token in anything it logged.
  const secretValues = store.allValues().filter((v) => v.length >= 8);
  const close = async () => {
    await running.close();
    assertNoSecretsLogged(logs.text, secretValues);
  };
  return {
    ...running,
    db,
    logs,
    dataDir,
    clock: opts.clock,
    close,
    request: async (path, init) => {
      const res = await fetch(`${running.url}${path}`, init);
      await checkAnswer(init?.method ?? 'GET', path, res);
      return res;
    },
    stop: async () => {
      await close();
      if (!opts.db) await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
