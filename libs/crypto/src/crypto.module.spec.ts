import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { CryptoModule } from './crypto.module';
import { CryptoService } from './crypto.service';
import { decodeEnvelope } from './envelope';
import { Keyring } from './keyring';
import { RandomSource } from './random-source';

const sevens: RandomSource = { bytes: (n: number) => Buffer.alloc(n, 7) };

/** Stands where CoreModule stands in the product: a global module exporting the one RandomSource. */
@Global()
@Module({ providers: [{ provide: RandomSource, useValue: sevens }], exports: [RandomSource] })
class GlobalRandom {}

describe('CryptoModule', () => {
  const keyring = { provide: Keyring, useValue: Keyring.parse(`v1:${randomBytes(32).toString('base64')}`) };

  it('makes IVs and tokens with the RandomSource of its composition (the global one), not a default of its own', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [GlobalRandom, CryptoModule.register({ providers: [keyring] })],
    }).compile();
    const crypto = moduleRef.get(CryptoService);
    expect(decodeEnvelope(crypto.encrypt('p', 'x', Buffer.from('a')))!.iv).toEqual(Buffer.alloc(12, 7));
    expect(crypto.token(16)).toBe(Buffer.alloc(16, 7).toString('base64url'));
  });

  it('refuses to start without a RandomSource rather than pick one silently', async () => {
    await expect(
      Test.createTestingModule({ imports: [CryptoModule.register({ providers: [keyring] })] }).compile(),
    ).rejects.toThrow(/RandomSource/);
  });
});
