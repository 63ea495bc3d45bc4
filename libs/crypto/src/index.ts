export { CryptoModule } from './crypto.module';
export { CryptoService, DecryptionFailed } from './crypto.service';
export { Keyring } from './keyring';
// NoopEncryptionCounter: bench/profiles.mjs seals rows with the built lib.
export { EncryptionCounter, NoopEncryptionCounter } from './encryption-counter';
export { RandomSource, SystemRandomSource } from './random-source';
export { decodeEnvelope } from './envelope';
