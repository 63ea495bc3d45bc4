import { CryptoService, Keyring, NoopEncryptionCounter } from '@app/crypto';
import { SequenceRandom } from '../../../../test/fakes/core';
import { CoreException } from '../errors/core-error-codes';
import { compareKeyset, CursorCodec, KeysetPosition, sortValue } from './keyset';

const key = (b: number) => Buffer.alloc(32, b).toString('base64');
const codecWith = (keys: string) =>
  new CursorCodec(new CryptoService(Keyring.parse(keys), new SequenceRandom(), new NoopEncryptionCounter()));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof CoreException ? e.code : `not a CoreException: ${String(e)}`;
  }
  return undefined;
}

describe('CursorCodec', () => {
  const codec = codecWith(`v1:${key(1)}`);
  const pos: KeysetPosition = { value: '2026-11-30T09:00:00.000Z', id: '6cf5cc0c-fe00-40ac-9752-930e72e6b6f7' };

  it('round-trips a position and reads no cursor as the first page', () => {
    const c = codec.encode('api-keys|-createdAt|[]', pos);
    expect(c).toMatch(/^[A-Za-z0-9_-]+\.v1\.[A-Za-z0-9_-]{43}$/);
    expect(codec.decode('api-keys|-createdAt|[]', c)).toEqual(pos);
    expect(codec.decode('api-keys|-createdAt|[]', undefined)).toBeUndefined();
    expect(codec.decode('x', codec.encode('x', { value: null, id: '7' }))).toEqual({ value: null, id: '7' });
  });

  it('refuses a tampered body, a swapped MAC, another list’s or filter’s cursor and garbage with INVALID_CURSOR', () => {
    const c = codec.encode('api-keys|name|["alice"]', pos);
    const [body, v, mac] = c.split('.');
    const forgedBody = Buffer.from(JSON.stringify(['a', pos.id])).toString('base64url');
    const flipped = mac.slice(0, 10) + (mac[10] === 'A' ? 'B' : 'A') + mac.slice(11);
    const cases = [
      `${forgedBody}.${v}.${mac}`,
      `${body}.${v}.${flipped}`,
      `${body}.v2.${mac}`,
      body,
      'b2Zmc2V0OjQw',
      '',
      '....',
      `${body}.${v}.${mac}x`,
    ];
    for (const bad of cases)
      expect([bad, code(() => codec.decode('api-keys|name|["alice"]', bad))]).toEqual([bad, 'INVALID_CURSOR']);
    expect(code(() => codec.decode('api-keys|name|["bob"]', c))).toBe('INVALID_CURSOR');
    expect(code(() => codec.decode('certificates|name|["alice"]', c))).toBe('INVALID_CURSOR');
    // A validly signed body that is not a position (only a key holder could make one) is refused too.
    const notPosition = Buffer.from('{"x":1}').toString('base64url');
    const signed = codec.encode('ctx', pos).split('.');
    expect(code(() => codec.decode('ctx', `${notPosition}.${signed[1]}.${signed[2]}`))).toBe('INVALID_CURSOR');
  });

  it('keeps cursors valid across a key rotation and refuses them once their key is retired', () => {
    const old = codecWith(`v1:${key(1)}`).encode('ctx', pos);
    expect(codecWith(`v2:${key(2)},v1:${key(1)}`).decode('ctx', old)).toEqual(pos);
    expect(code(() => codecWith(`v2:${key(2)},v1:${key(1)}`.replace(`,v1:${key(1)}`, '')).decode('ctx', old))).toBe(
      'INVALID_CURSOR',
    );
    // Its own subkey: the MAC is not the plain `hmac` of another purpose over the same bytes.
    const crypto = new CryptoService(Keyring.parse(`v1:${key(1)}`), new SequenceRandom(), new NoopEncryptionCounter());
    expect(old.split('.').slice(1).join('.')).not.toBe(crypto.hmac('profiles', 'ctx', Buffer.from(old.split('.')[0])));
  });

  it('orders as the SQL does: DESC NULLS LAST / ASC NULLS FIRST, then id ascending', () => {
    const rows: KeysetPosition[] = [
      { value: 'b', id: '2' },
      { value: null, id: '3' },
      { value: 'a', id: '4' },
      { value: 'b', id: '1' },
      { value: null, id: '0' },
    ];
    const ids = (desc: boolean) => [...rows].sort((x, y) => compareKeyset(x, y, desc)).map((r) => r.id);
    expect(ids(true)).toEqual(['1', '2', '4', '0', '3']);
    expect(ids(false)).toEqual(['0', '3', '4', '1', '2']);
    expect(sortValue(new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00.000Z');
    expect(sortValue(undefined)).toBeNull();
  });
});
