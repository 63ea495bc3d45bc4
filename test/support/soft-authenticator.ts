import { createHash, createSign, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';

/**
 * A software WebAuthn authenticator for tests over HTTP (no browser): ES256 keys from node:crypto, attestation
 * format "none", discoverable credentials. It answers the JSON the browser's `credential.toJSON()` gives
 * (RegistrationResponseJSON / AuthenticationResponseJSON) for the options the service issued, so the service's
 * @simplewebauthn/server verification runs unchanged. Counters are explicit so tests can replay or roll them back.
 */

type CborValue = number | string | Uint8Array | CborValue[] | Map<CborValue, CborValue> | { [k: string]: CborValue };

/** The head of a CBOR item: major type and argument (RFC 8949 §3), arguments up to 2^32-1. */
function cborHead(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** Minimal deterministic CBOR encoder: integers, text, byte strings, arrays and maps (what WebAuthn needs). */
export function cbor(value: CborValue): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error('cbor: integers only');
    return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([cborHead(4, value.length), ...value.map(cbor)]);
  const entries: [CborValue, CborValue][] = value instanceof Map ? [...value] : Object.entries(value);
  return Buffer.concat([cborHead(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface SoftCredential {
  id: string; // base64url
  privateKey: KeyObject;
  cosePublicKey: Buffer;
  userHandle: string; // base64url, from the registration options' user.id
  signCount: number;
}

export interface RegistrationOptions {
  challenge: string;
  rp: { id?: string };
  user: { id: string };
}

export interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export interface AssertOptions {
  /** Which credential signs (default: the first allowed one this authenticator holds, else its first). */
  credentialId?: string;
  /** The counter to report (default: the stored one + 1, which is then stored). */
  signCount?: number;
  /** Set the UV flag (default true). */
  userVerified?: boolean;
  /** Sign for another origin than the authenticator's (a phishing page). */
  origin?: string;
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  /** @param origin the page's origin (the service's PUBLIC_URL origin); the RP ID comes from the options. */
  constructor(
    private readonly origin: string,
    private readonly initialSignCount = 0,
  ) {}

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin = this.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }

  private authData(rpId: string, flags: number, signCount: number, attested?: Buffer): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(signCount);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), counter, ...(attested ? [attested] : [])]);
  }

  private rpIdOf(explicit: string | undefined): string {
    return explicit ?? new URL(this.origin).hostname;
  }

  /** navigator.credentials.create(): a new ES256 credential, attestation "none". */
  register(options: RegistrationOptions): Record<string, unknown> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cosePublicKey = cbor(
      new Map<CborValue, CborValue>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const rawId = randomBytes(16);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(rawId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, rawId, cosePublicKey]); // aaguid: zeros
    const authData = this.authData(
      this.rpIdOf(options.rp.id),
      FLAG_UP | FLAG_UV | FLAG_AT,
      this.initialSignCount,
      attested,
    );
    const attestationObject = cbor({ fmt: 'none', attStmt: {}, authData });
    const id = b64u(rawId);
    this.credentials.push({
      id,
      privateKey,
      cosePublicKey,
      userHandle: options.user.id,
      signCount: this.initialSignCount,
    });
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(this.clientData('webauthn.create', options.challenge)),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get(): an ECDSA-SHA256 (DER) signature over authenticatorData ‖ SHA-256(clientDataJSON). */
  assert(options: RequestOptions, opts: AssertOptions = {}): Record<string, unknown> {
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential = opts.credentialId
      ? this.credentials.find((c) => c.id === opts.credentialId)
      : (this.credentials.find((c) => allowed.has(c.id)) ?? this.credentials[0]);
    if (!credential) throw new Error('soft authenticator: no credential');
    const signCount = opts.signCount ?? credential.signCount + 1;
    credential.signCount = Math.max(credential.signCount, signCount);
    const flags = FLAG_UP | (opts.userVerified === false ? 0 : FLAG_UV);
    const authData = this.authData(this.rpIdOf(options.rpId), flags, signCount);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, opts.origin);
    const signature = createSign('SHA256')
      .update(Buffer.concat([authData, sha256(clientDataJSON)]))
      .sign({ key: credential.privateKey, dsaEncoding: 'der' });
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
