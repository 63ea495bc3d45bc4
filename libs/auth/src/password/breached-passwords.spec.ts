import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unitConfig } from '../../../../test/fakes/core';
import { BreachedHashFile, BreachedPasswords, PwnedRangeClient, rangeListsSuffix, sha1Hex } from './breached-passwords';

describe('breached passwords', () => {
  let dir: string;
  beforeAll(() => {
    Logger.overrideLogger(false);
    dir = mkdtempSync(join(tmpdir(), 'sb-breached-unit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sha1Hex is the upper-case hex the lists use', () => {
    expect(sha1Hex('password')).toBe('5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8');
  });

  it('a range answer lists a suffix only with a count above 0 (padding lines are :0)', () => {
    const body = '1E4C9B93F3F0682250B6CF8331B7EE68FD8:3\r\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:0\r\n';
    expect(rangeListsSuffix(body, '1E4C9B93F3F0682250B6CF8331B7EE68FD8')).toBe(true);
    expect(rangeListsSuffix(body, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBe(false);
    expect(rangeListsSuffix(body, 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB')).toBe(false);
  });

  it('the file search finds every listed hash and no other, in files of any size and line ending', async () => {
    for (const [n, eol, counts] of [
      [1, '\n', false],
      [2, '\r\n', true],
      [7, '\n', true],
      [1000, '\n', false],
      [1001, '\r\n', true],
    ] as const) {
      const hashes = Array.from({ length: n }, (_, i) => sha1Hex(`p${n}-${i}`)).sort();
      const path = join(dir, `list-${n}.txt`);
      writeFileSync(path, hashes.map((h, i) => (counts ? `${h}:${i + 1}` : h)).join(eol) + (n % 2 ? eol : ''));
      const file = new BreachedHashFile(path);
      await Promise.all([
        ...hashes.map(async (h) => expect(await file.contains(h)).toBe(true)),
        ...Array.from({ length: 50 }, async (_, i) => expect(await file.contains(sha1Hex(`absent ${i}`))).toBe(false)),
        (async () => expect(await file.contains('0'.repeat(40))).toBe(false))(),
        (async () => expect(await file.contains('F'.repeat(40))).toBe(false))(),
      ]);
    }
  });

  it('larger files: every listed hash is found', async () => {
    for (const n of [2, 3, 64, 257]) {
      const hashes = Array.from({ length: n }, (_, i) => sha1Hex(`q${n}-${i}`)).sort();
      const path = join(dir, `q-${n}.txt`);
      writeFileSync(path, hashes.map((h) => `${h}:1`).join('\n'));
      const file = new BreachedHashFile(path);
      for (const h of hashes) expect(await file.contains(h)).toBe(true);
      for (let i = 0; i < 20; i++) expect(await file.contains(sha1Hex(`none ${i}`))).toBe(false);
    }
  });

  class StubClient extends PwnedRangeClient {
    calls: string[] = [];
    constructor(private readonly answer: (prefix: string) => Promise<string>) {
      super();
    }
    override range(_base: string, prefix: string): Promise<string> {
      this.calls.push(prefix);
      return this.answer(prefix);
    }
  }

  it('off when neither is configured: nothing is asked', async () => {
    const client = new StubClient(() => Promise.resolve(''));
    const b = new BreachedPasswords(unitConfig(), client);
    expect(await b.isBreached('password')).toBe(false);
    expect(client.calls).toEqual([]);
  });

  it('the range lookup sends 5 characters and fails open on errors', async () => {
    const hash = sha1Hex('correct horse battery staple');
    const client = new StubClient(() => Promise.resolve(`${hash.slice(5)}:9\n`));
    const b = new BreachedPasswords(unitConfig({ PWNED_PASSWORDS_URL: 'http://127.0.0.1:9' }), client);
    expect(await b.isBreached('correct horse battery staple')).toBe(true);
    expect(client.calls).toEqual([hash.slice(0, 5)]);
    const failing = new BreachedPasswords(
      unitConfig({ PWNED_PASSWORDS_URL: 'http://127.0.0.1:9' }),
      new StubClient(() => Promise.reject(new Error('boom'))),
    );
    expect(await failing.isBreached('correct horse battery staple')).toBe(false);
  });

  it('a configured file that is missing stops the start', async () => {
    const b = new BreachedPasswords(
      unitConfig({ BREACHED_PASSWORDS_FILE: join(dir, 'missing.txt') }),
      new StubClient(() => Promise.resolve('')),
    );
    await expect(b.onModuleInit()).rejects.toThrow('BREACHED_PASSWORDS_FILE');
  });
});
