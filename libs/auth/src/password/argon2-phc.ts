/** The Argon2 variants Node's built-in `crypto.argon2` computes. */
export type Argon2Algorithm = 'argon2id' | 'argon2i' | 'argon2d';

/** One Argon2 computation: what `crypto.argon2Sync(algorithm, parameters)` takes (without the password). */
export interface Argon2Input {
  algorithm: Argon2Algorithm;
  /** Memory in KiB. */
  memory: number;
  passes: number;
  parallelism: number;
  nonce: Buffer;
  tagLength: number;
}

/** A stored hash as the PHC string format spells it, with the tag it must reproduce. */
export interface Argon2Phc extends Argon2Input {
  tag: Buffer;
}

const ALGORITHMS: readonly string[] = ['argon2id', 'argon2i', 'argon2d'];
const BASE64 = /^[A-Za-z0-9+/]+$/;
const PARAM = /^[mtp]=\d{1,10}$/;

/**
 * Reads an Argon2 PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>`), or undefined when it is not one the
 * built-in can verify: a version other than 1.3 (0x13, the one every current library writes), a `keyid`/`data`
 * parameter, a missing or repeated parameter, values out of Argon2's ranges (salt ≥ 8 bytes, tag ≥ 4 bytes, memory
 * ≥ 8 × parallelism KiB). The parameters may come in any order (node-argon2 writes m,p,t; the reference library
 * m,t,p); salt and tag are unpadded standard base64.
 */
export function parseArgon2Phc(hash: string): Argon2Phc | undefined {
  const [empty, algorithm, version, paramList, salt, tagText, ...rest] = hash.split('$');
  if (empty !== '' || rest.length || !ALGORITHMS.includes(algorithm) || version !== 'v=19') return undefined;
  if (!salt || !tagText || !BASE64.test(salt) || !BASE64.test(tagText)) return undefined;
  const pairs = (paramList ?? '').split(',');
  if (pairs.length !== 3 || !pairs.every((p) => PARAM.test(p))) return undefined;
  const params = new Map(pairs.map((kv) => [kv[0], Number(kv.slice(2))] as const));
  const memory = params.get('m');
  const passes = params.get('t');
  const parallelism = params.get('p');
  if (params.size !== 3 || memory === undefined || passes === undefined || parallelism === undefined) return undefined;
  const nonce = Buffer.from(salt, 'base64');
  const tag = Buffer.from(tagText, 'base64');
  if (parallelism < 1 || parallelism > 255 || passes < 1 || memory < 8 * parallelism) return undefined;
  if (nonce.length < 8 || tag.length < 4) return undefined;
  return { algorithm: algorithm as Argon2Algorithm, memory, passes, parallelism, nonce, tag, tagLength: tag.length };
}

/** The PHC string of a computed hash, spelled as node-argon2 and the reference library spell it. */
export function formatArgon2Phc(input: Argon2Input, tag: Buffer): string {
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  const params = `m=${input.memory},t=${input.passes},p=${input.parallelism}`;
  return `$${input.algorithm}$v=19$${params}$${b64(input.nonce)}$${b64(tag)}`;
}
