import { DomainException, Principal } from '@app/core';
import { CryptoService, Keyring, NoopEncryptionCounter } from '@app/crypto';
import { randomBytes } from 'node:crypto';
import { SequenceRandom } from '../../../test/fakes/core';
import { EncryptionErrorCode } from './encryption-error-codes';
import { EncryptionService } from './encryption.service';

const V1 = `v1:${randomBytes(32).toString('base64')}`;
const V2 = `v2:${randomBytes(32).toString('base64')}`;
const service = (keys = V1) =>
  new EncryptionService(new CryptoService(Keyring.parse(keys), new SequenceRandom(), new NoopEncryptionCounter()));
const caller = (userId: string): Principal => ({
  kind: 'apiKey',
  emailVerified: true,
  userId,
  role: 'user',
  scopes: [],
  keyId: userId,
});
const alice = caller('alice');
const bob = caller('bob');
const b64 = (s: string) => Buffer.from(s).toString('base64');

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainException);
    return (err as DomainException).code;
  }
  throw new Error('expected a refusal');
}

describe('EncryptionService (transit)', () => {
  it('round-trips base64 data for the caller and context it was encrypted for', () => {
    const s = service();
    const { ciphertext, keyVersion } = s.encrypt(alice, 'invoices', b64('card 4111'));
    expect(keyVersion).toBe(1);
    expect(s.decrypt(alice, 'invoices', ciphertext)).toEqual({ plaintext: b64('card 4111') });
  });

  it("one caller's ciphertext does not decrypt for another, nor under another context: one 400-class code", () => {
    const s = service();
    const { ciphertext } = s.encrypt(alice, 'invoices', b64('secret'));
    expect(refused(() => s.decrypt(bob, 'invoices', ciphertext))).toBe(EncryptionErrorCode.DECRYPTION_FAILED);
    expect(refused(() => s.decrypt(alice, 'payroll', ciphertext))).toBe(EncryptionErrorCode.DECRYPTION_FAILED);
    expect(refused(() => s.decrypt(alice, 'invoices', 'garbage'))).toBe(EncryptionErrorCode.DECRYPTION_FAILED);
    expect(refused(() => s.rewrap(bob, 'invoices', ciphertext))).toBe(EncryptionErrorCode.DECRYPTION_FAILED);
  });

  it('rewrap moves a ciphertext to the newest key without changing what it decrypts to', () => {
    const { ciphertext } = service(V1).encrypt(alice, 'invoices', b64('secret'));
    const rotated = service(`${V1},${V2}`);
    const rewrapped = rotated.rewrap(alice, 'invoices', ciphertext);
    expect(rewrapped.keyVersion).toBe(2);
    expect(rewrapped.ciphertext).not.toBe(ciphertext);
    expect(rotated.decrypt(alice, 'invoices', rewrapped.ciphertext)).toEqual({ plaintext: b64('secret') });
  });

  it('MACs verify for their caller, context and data only', () => {
    const s = service();
    const { mac } = s.hmac(alice, 'webhooks', b64('payload'));
    expect(s.verify(alice, 'webhooks', b64('payload'), mac)).toEqual({ valid: true });
    expect(s.verify(bob, 'webhooks', b64('payload'), mac).valid).toBe(false);
    expect(s.verify(alice, 'other', b64('payload'), mac).valid).toBe(false);
    expect(s.verify(alice, 'webhooks', b64('payload!'), mac).valid).toBe(false);
  });
});
