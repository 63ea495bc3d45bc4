import { DynamicModule, Module, Provider } from '@nestjs/common';
import { EncryptionCounter, NoopEncryptionCounter } from './encryption-counter';
import { CryptoService } from './crypto.service';
import { Keyring } from './keyring';

export interface CryptoModuleOptions {
  /**
   * Providers for Keyring and, optionally, EncryptionCounter (the composition decides where keys come from). The
   * RandomSource is never defaulted here: it comes from these providers or, in the product, from the global
   * CoreModule, so the one replaceable source also makes every IV and token (a default would shadow it).
   */
  providers: Provider[];
  imports?: DynamicModule['imports'];
  /** Further providers of `providers` the composing module wants to inject (e.g. its counter implementation). */
  exports?: NonNullable<DynamicModule['exports']>;
  /** Make CryptoService and the Keyring injectable everywhere (the product's one keyring). */
  global?: boolean;
}

/**
 * AEAD, HMAC, blind indexes and tokens over a versioned keyring. This lib imports nothing of the product: the
 * module that composes it supplies the Keyring (from its secret loading) and, if it wants, a persistent counter.
 */
@Module({})
export class CryptoModule {
  static register(options: CryptoModuleOptions): DynamicModule {
    const given = new Set(
      options.providers.map((p) => (typeof p === 'function' ? p : (p as { provide: unknown }).provide)),
    );
    const defaults: Provider[] = [];
    if (!given.has(EncryptionCounter)) defaults.push({ provide: EncryptionCounter, useClass: NoopEncryptionCounter });
    if (!given.has(Keyring)) throw new Error('CryptoModule.register needs a Keyring provider');
    return {
      module: CryptoModule,
      global: options.global ?? false,
      imports: options.imports ?? [],
      providers: [...options.providers, ...defaults, CryptoService],
      exports: [CryptoService, Keyring, EncryptionCounter, ...(options.exports ?? [])],
    };
  }
}
