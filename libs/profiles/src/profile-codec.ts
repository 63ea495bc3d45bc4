import { Injectable } from '@nestjs/common';
import { CryptoService, Keyring } from '@app/crypto';
import type { Profile } from './entities/profile.entity';

export const PROFILE_PURPOSE = 'profiles';
export type SensitiveField = 'ssn' | 'card' | 'medical';

export interface SensitiveValues {
  ssn: string | null;
  cardNumber: string | null;
  medicalInfo: Record<string, unknown> | null;
}

const digits = (s: string) => s.replace(/\D/g, '');

/** Encryption, integrity and blind indexing of one profile row (no I/O). */
@Injectable()
export class ProfileCodec {
  constructor(
    private readonly crypto: CryptoService,
    private readonly keyring: Keyring,
  ) {}

  /** AAD context of a field: the user and the column, so a ciphertext moved elsewhere does not decrypt. */
  static context(userId: string, field: SensitiveField): string {
    return `profiles|${field}|${userId}`;
  }

  /** Sets the encrypted columns (and their last four digits / blind index) from plaintext values. */
  seal(row: Profile, values: SensitiveValues): void {
    const enc = (field: SensitiveField, text: string | null) =>
      text === null
        ? null
        : this.crypto.encrypt(PROFILE_PURPOSE, ProfileCodec.context(row.userId, field), Buffer.from(text, 'utf8'));
    const ssn = values.ssn === null ? null : digits(values.ssn);
    const card = values.cardNumber === null ? null : digits(values.cardNumber);
    row.ssnCiphertext = enc('ssn', ssn);
    row.ssnLast4 = ssn ? ssn.slice(-4) : null;
    row.ssnBlindIndex = ssn ? this.blindIndex(ssn) : null;
    row.cardCiphertext = enc('card', card);
    row.cardLast4 = card ? card.slice(-4) : null;
    row.medicalCiphertext = enc('medical', values.medicalInfo === null ? null : JSON.stringify(values.medicalInfo));
    row.keyVersion = this.keyring.current;
    row.integrityMac = this.mac(row);
  }

  /** Decrypts every sensitive field (throws DecryptionFailed on any tampering). */
  open(row: Profile): SensitiveValues {
    const dec = (field: SensitiveField, envelope: string | null) =>
      envelope === null
        ? null
        : this.crypto.decrypt(PROFILE_PURPOSE, ProfileCodec.context(row.userId, field), envelope).toString('utf8');
    const medical = dec('medical', row.medicalCiphertext);
    return {
      ssn: formatSsn(dec('ssn', row.ssnCiphertext)),
      cardNumber: dec('card', row.cardCiphertext),
      medicalInfo: medical === null ? null : (JSON.parse(medical) as Record<string, unknown>),
    };
  }

  /** HMAC over the canonical row: public fields, masks, blind index, key version and the envelopes themselves. */
  mac(row: Profile): string {
    return this.crypto.hmac('profiles-integrity', `profile|${row.userId}`, Buffer.from(canonical(row), 'utf8'));
  }

  intact(row: Profile): boolean {
    return this.crypto.verifyHmac(
      'profiles-integrity',
      `profile|${row.userId}`,
      Buffer.from(canonical(row), 'utf8'),
      row.integrityMac,
    );
  }

  /** Keyed digest of the normalised SSN (digits only) under the current key. */
  blindIndex(ssnDigits: string): string {
    return this.crypto.blindIndex('ssn', ssnDigits);
  }

  /** The SSN's digest under every key version that still decrypts (rows not yet rewrapped keep older ones). */
  blindIndexCandidates(ssn: string): string[] {
    return this.keyring.versions
      .filter((v) => this.keyring.canDecrypt(v))
      .map((v) => this.crypto.blindIndex('ssn', digits(ssn), v));
  }
}

function canonical(row: Profile): string {
  return JSON.stringify([
    row.userId,
    row.displayName,
    row.phone,
    row.address,
    row.dateOfBirth,
    row.ssnCiphertext,
    row.ssnLast4,
    row.ssnBlindIndex,
    row.cardCiphertext,
    row.cardLast4,
    row.medicalCiphertext,
    row.keyVersion,
  ]);
}

/**
 * A revealed SSN is always `AAA-GG-SSSS`, however it was given (`123456789` or `123-45-6789`): the digits are what is
 * stored, encrypted and indexed; the dashes are how an SSN is read.
 */
export function formatSsn(digitsOnly: string | null): string | null {
  if (digitsOnly === null || !/^\d{9}$/.test(digitsOnly)) return digitsOnly;
  return `${digitsOnly.slice(0, 3)}-${digitsOnly.slice(3, 5)}-${digitsOnly.slice(5)}`;
}
