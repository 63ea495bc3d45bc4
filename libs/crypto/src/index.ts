export { CryptoModule } from './crypto.module';
export type { CryptoModuleOptions } from './crypto.module';
export { CryptoService, DecryptionFailed, aadOf } from './crypto.service';
export { Keyring, KeyringError } from './keyring';
export { EncryptionCounter, NoopEncryptionCounter } from './encryption-counter';
export { RandomSource, SystemRandomSource } from './random-source';
export { decodeEnvelope, encodeEnvelope, keyVersionOf, ENVELOPE_FORMAT } from './envelope';
export type { Envelope } from './envelope';
