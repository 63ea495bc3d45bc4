import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import * as crypto from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AppConfig } from '@app/core';
import type { Argon2Input } from './argon2-phc';

/**
 * Hashing threads: the cores this process may use (`os.availableParallelism()`, which honours CPU affinity) but
 * one, so the event loop keeps a core during a login flood; at least 1; a configured value (HASH_CONCURRENCY) wins.
 */
export function hashConcurrency(configured: number, cores = availableParallelism()): number {
  return configured > 0 ? configured : Math.max(1, cores - 1);
}

/**
 * What runs in each thread: the built-in Argon2 (`crypto.argon2Sync`, OpenSSL's), one computation at a time. First
 * the thread lowers its own CPU priority (Linux: `setpriority` on its thread id, read from /proc/thread-self) and
 * says which thread it is and what its niceness became. Plain JavaScript run with `eval`, so it needs no file of its
 * own beside the build output or the TypeScript sources the tests run.
 */
const THREAD_MAIN = `
const { parentPort, workerData } = require('node:worker_threads');
const { argon2Sync } = require('node:crypto');
let tid;
let nice;
try {
  tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, workerData.nice);
  nice = require('node:os').getPriority(tid);
} catch {}
parentPort.postMessage({ hello: true, tid, nice });
parentPort.on('message', ({ algorithm, parameters }) => {
  try {
    parentPort.postMessage({ tag: argon2Sync(algorithm, parameters) });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  }
});
`;

interface Job {
  message: { algorithm: string; parameters: Record<string, unknown> };
  resolve: (tag: Buffer) => void;
  reject: (err: Error) => void;
}

interface HashThread {
  worker: Worker;
  job?: Job;
  /** The thread's id and niceness, once it has said them (undefined off Linux). */
  tid?: number;
  nice?: number;
}

type ThreadMessage = { hello: true; tid?: number; nice?: number } | { tag: Uint8Array } | { error: string };

/**
 * Argon2 off the event loop, on threads of its own that run at a lower CPU priority (HASH_THREAD_NICE) than the
 * event loop. Where the cores are all busy (a login flood on a small machine), the scheduler gives the event loop
 * the larger share, so the API keeps answering while logins queue; where a core is free, the hashes run at full
 * speed. The threads are started on first use, at most `capacity`; a job waits in FIFO order for a free thread. A
 * thread holds the process open only while it computes. A thread that dies fails its job and is replaced.
 */
@Injectable()
export class HashThreads implements OnModuleDestroy {
  private readonly log = new Logger('PasswordHashing');
  readonly capacity: number;
  readonly nice: number;
  private readonly threads: HashThread[] = [];
  private readonly waiting: Job[] = [];
  private closed = false;

  constructor(config: AppConfig) {
    // Fail at boot, not at the first login, on a runtime without the built-in (Node < 24.7, or OpenSSL < 3.2).
    if (typeof crypto.argon2Sync !== 'function')
      throw new Error(
        `Password hashing needs Node.js ≥ 24.7 built with OpenSSL ≥ 3.2 (crypto.argon2); this is ${process.version}`,
      );
    this.capacity = hashConcurrency(config.env.HASH_CONCURRENCY);
    this.nice = config.env.HASH_THREAD_NICE;
  }

  /** The Argon2 tag of `password` under `input`, computed on a hashing thread. */
  argon2(password: string, input: Argon2Input): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('password hashing has shut down'));
    const { algorithm, nonce, memory, passes, parallelism, tagLength } = input;
    const parameters = { message: password, nonce, memory, passes, parallelism, tagLength };
    return new Promise((resolve, reject) => {
      this.waiting.push({ message: { algorithm, parameters }, resolve, reject });
      this.pump();
    });
  }

  get inUse(): number {
    return this.threads.filter((t) => t.job).length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** The running threads' ids and niceness, as each reported them (for tests and diagnostics). */
  get running(): { tid?: number; nice?: number }[] {
    return this.threads.map(({ tid, nice }) => ({ tid, nice }));
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new Error('password hashing has shut down'));
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }

  private pump(): void {
    while (this.waiting.length) {
      const thread =
        this.threads.find((t) => !t.job) ?? (this.threads.length < this.capacity ? this.spawn() : undefined);
      if (!thread) return;
      const job = this.waiting.shift() as Job;
      thread.job = job;
      thread.worker.ref();
      thread.worker.postMessage(job.message);
    }
  }

  private spawn(): HashThread {
    const worker = new Worker(THREAD_MAIN, { eval: true, workerData: { nice: this.nice }, name: 'argon2' });
    const thread: HashThread = { worker };
    worker.unref();
    worker.on('message', (msg: ThreadMessage) => this.settle(thread, msg));
    worker.on('error', (err) => this.lose(thread, err));
    worker.on('exit', (code) => this.lose(thread, new Error(`password hashing thread exited (${code})`)));
    this.threads.push(thread);
    return thread;
  }

  private settle(thread: HashThread, msg: ThreadMessage): void {
    if ('hello' in msg) {
      thread.tid = msg.tid;
      thread.nice = msg.nice;
      if (msg.nice === undefined && this.nice !== 0)
        this.log.warn('Could not lower the priority of a password hashing thread (HASH_THREAD_NICE needs Linux).');
      return;
    }
    const job = thread.job;
    thread.job = undefined;
    thread.worker.unref();
    if ('tag' in msg) job?.resolve(Buffer.from(msg.tag.buffer, msg.tag.byteOffset, msg.tag.byteLength));
    else job?.reject(new Error(`Argon2 failed: ${msg.error}`));
    this.pump();
  }

  private lose(thread: HashThread, err: Error): void {
    const at = this.threads.indexOf(thread);
    if (at < 0) return;
    this.threads.splice(at, 1);
    thread.job?.reject(err);
    if (!this.closed) this.pump();
  }
}
