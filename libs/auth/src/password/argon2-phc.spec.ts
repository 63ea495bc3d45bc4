import { formatArgon2Phc, parseArgon2Phc } from './argon2-phc';

const SALT = 'c29tZXNhbHRzb21lc2FsdA'; // 16 bytes
const TAG = 'q2Oq5Yy1G3Ppb8c6U0T6nDz8mS2n9GJXl0pF3jNKz0Y'; // 32 bytes

describe('Argon2 PHC strings', () => {
  it('reads the parameters in any order and writes them back as the reference library spells them', () => {
    const a = parseArgon2Phc(`$argon2id$v=19$m=19456,p=1,t=2$${SALT}$${TAG}`);
    const b = parseArgon2Phc(`$argon2id$v=19$t=2,m=19456,p=1$${SALT}$${TAG}`);
    expect(a).toMatchObject({ algorithm: 'argon2id', memory: 19456, passes: 2, parallelism: 1, tagLength: 32 });
    expect(b).toEqual(a);
    expect(a!.nonce.length).toBe(16);
    expect(formatArgon2Phc(a!, a!.tag)).toBe(`$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG}`);
  });

  it('refuses what the built-in cannot verify as it is', () => {
    for (const bad of [
      `$argon2id$v=16$m=19456,t=2,p=1$${SALT}$${TAG}`, // Argon2 1.0
      `$argon2id$m=19456,t=2,p=1$${SALT}$${TAG}`, // no version (1.0 by convention)
      `$argon2id$v=19$m=19456,t=2,p=1,keyid=abc$${SALT}$${TAG}`,
      `$argon2id$v=19$m=19456,t=2,p=1,data=abc$${SALT}$${TAG}`,
      `$argon2id$v=19$m=19456,t=2,t=3$${SALT}$${TAG}`, // repeated, p missing
      `$argon2id$v=19$m=19456,t=2$${SALT}$${TAG}`,
      `$argon2id$v=19$m=4,t=2,p=1$${SALT}$${TAG}`, // below 8 KiB per lane
      `$argon2id$v=19$m=19456,t=0,p=1$${SALT}$${TAG}`,
      `$argon2id$v=19$m=19456,t=2,p=0$${SALT}$${TAG}`,
      `$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$${TAG}`, // 4-byte salt
      `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG}$extra`,
      `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$`,
      `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG}=`, // padded
      `$argon2x$v=19$m=19456,t=2,p=1$${SALT}$${TAG}`,
      `argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG}`,
      `$2b$10$abcdefghijklmnopqrstuu`,
      '',
    ])
      expect(parseArgon2Phc(bad)).toBeUndefined();
  });
});
