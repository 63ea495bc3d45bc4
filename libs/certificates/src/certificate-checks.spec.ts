import { X509Certificate } from 'node:crypto';
import { daysFromNow, issue, Issued, pki } from '../../../test/support/certs';
import { decideAlert } from './certificate-alerts';
import { CheckOptions, CheckResult, runChecks, worstStatus } from './certificate-checks';
import { describe as details, parsePemChain, signatureAlgorithmOf } from './certificate-parser';

const now = new Date();
const x = (...certs: Issued[]) => certs.map((c) => new X509Certificate(c.pem));
const result = (results: CheckResult[], name: string) => results.find((r) => r.name === name)!;

describe('certificate checks (real certificates generated per case)', () => {
  let root: Issued;
  let intermediate: Issued;
  let options: CheckOptions;

  beforeAll(async () => {
    ({ root, intermediate } = await pki(now));
    options = {
      now,
      warnDays: 30,
      criticalDays: 7,
      expectedHost: 'api.example.test',
      anchors: x(root),
      production: true,
      source: 'endpoint',
    };
  });

  const leaf = (o: Partial<Parameters<typeof issue>[1]> = {}) =>
    issue(
      intermediate,
      { cn: 'api.example.test', dns: ['api.example.test'], notAfter: daysFromNow(90, now), ...o },
      now,
    );

  it('a healthy leaf + intermediate ending at a trusted root passes every check', async () => {
    const results = runChecks(x(await leaf(), intermediate), options);
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['expiry', 'OK'],
      ['validity', 'OK'],
      ['hostname', 'OK'],
      ['chain', 'OK'],
      ['key-strength', 'OK'],
      ['signature-algorithm', 'OK'],
      ['self-signed', 'OK'],
    ]);
    expect(worstStatus(results)).toBe('OK');
  });

  it('expired → CRITICAL; 5 days left → CRITICAL; 20 days left → WARN (thresholds configurable)', async () => {
    const expired = runChecks(
      x(await leaf({ notBefore: daysFromNow(-100, now), notAfter: daysFromNow(-1, now) }), intermediate),
      options,
    );
    expect(result(expired, 'expiry')).toMatchObject({ status: 'CRITICAL', reason: expect.stringContaining('expired') });
    const five = runChecks(x(await leaf({ notAfter: daysFromNow(5, now) }), intermediate), options);
    expect(result(five, 'expiry')).toMatchObject({
      status: 'CRITICAL',
      reason: expect.stringContaining('expires in 4 days'),
    });
    const twenty = await leaf({ notAfter: daysFromNow(20.5, now) });
    expect(result(runChecks(x(twenty, intermediate), options), 'expiry')).toMatchObject({
      status: 'WARN',
      reason: expect.stringContaining('expires in 20 days'),
    });
    expect(result(runChecks(x(twenty, intermediate), { ...options, warnDays: 14 }), 'expiry').status).toBe('OK');
  });

  it('an intermediate expiring before the leaf is what the expiry check reports', async () => {
    const shortCa = await issue(root, { cn: 'Short-lived CA', ca: true, notAfter: daysFromNow(3, now) }, now);
    const l = await issue(shortCa, { cn: 'api.example.test', dns: ['api.example.test'] }, now);
    expect(result(runChecks(x(l, shortCa), options), 'expiry')).toMatchObject({
      status: 'CRITICAL',
      reason: expect.stringContaining('Short-lived CA'),
    });
  });

  it('not yet valid → CRITICAL', async () => {
    const r = runChecks(
      x(await leaf({ notBefore: daysFromNow(2, now), notAfter: daysFromNow(50, now) }), intermediate),
      options,
    );
    expect(result(r, 'validity').status).toBe('CRITICAL');
  });

  it('wrong host → CRITICAL with the names it does cover; IP SANs are matched with checkIP', async () => {
    const r = runChecks(x(await leaf(), intermediate), { ...options, expectedHost: 'www.other.test' });
    expect(result(r, 'hostname')).toMatchObject({
      status: 'CRITICAL',
      reason: expect.stringContaining('DNS:api.example.test'),
    });
    const ip = await leaf({ dns: [], ips: ['127.0.0.1'] });
    expect(result(runChecks(x(ip, intermediate), { ...options, expectedHost: '127.0.0.1' }), 'hostname').status).toBe(
      'OK',
    );
    expect(result(runChecks(x(ip, intermediate), { ...options, expectedHost: '127.0.0.2' }), 'hostname').status).toBe(
      'CRITICAL',
    );
  });

  it('missing intermediate → CRITICAL; the root itself is optional; wrong order → CRITICAL', async () => {
    const l = await leaf();
    expect(result(runChecks(x(l), options), 'chain')).toMatchObject({
      status: 'CRITICAL',
      reason: expect.stringContaining('missing intermediate'),
    });
    expect(result(runChecks(x(l, intermediate, root), options), 'chain').status).toBe('OK');
    expect(result(runChecks(x(l, intermediate), { ...options, anchors: [] }), 'chain').status).toBe('CRITICAL');
    expect(result(runChecks(x(intermediate, l), options), 'chain')).toMatchObject({
      status: 'CRITICAL',
      reason: expect.stringContaining('not signed by the next'),
    });
  });

  it('RSA-1024 → CRITICAL; RSA-2048 and P-256 → OK', async () => {
    expect(result(runChecks(x(await leaf({ key: 'rsa1024' }), intermediate), options), 'key-strength')).toMatchObject({
      status: 'CRITICAL',
      reason: expect.stringContaining('RSA-1024'),
    });
    expect(result(runChecks(x(await leaf({ key: 'rsa2048' }), intermediate), options), 'key-strength')).toMatchObject({
      status: 'OK',
      reason: 'rsa-2048',
    });
  });

  it('a SHA-1 signature → CRITICAL (read from the DER, Node 20 does not expose it)', async () => {
    const sha1Ca = await issue(root, { cn: 'SHA-1 CA', ca: true, key: 'rsa2048', hash: 'SHA-1' }, now);
    const l = await issue(sha1Ca, { cn: 'api.example.test', dns: ['api.example.test'] }, now);
    expect(signatureAlgorithmOf(new X509Certificate(l.pem).raw)).toBe('sha1WithRSAEncryption');
    expect(result(runChecks(x(l, sha1Ca), options), 'signature-algorithm')).toMatchObject({
      status: 'CRITICAL',
      reason: expect.stringContaining('sha1WithRSAEncryption'),
    });
    expect(signatureAlgorithmOf(new X509Certificate((await leaf()).pem).raw)).toBe('ecdsa-with-SHA256');
  });

  it('self-signed → CRITICAL in production, WARN outside it; a self-signed CA in a file is a trust anchor', async () => {
    const self = await issue(null, { cn: 'api.example.test', dns: ['api.example.test'] }, now);
    expect(result(runChecks(x(self), options), 'self-signed').status).toBe('CRITICAL');
    expect(result(runChecks(x(self), { ...options, production: false }), 'self-signed').status).toBe('WARN');
    expect(result(runChecks(x(root), { ...options, expectedHost: null, source: 'file' }), 'self-signed').status).toBe(
      'OK',
    );
  });

  it('a self-signed leaf with CA:TRUE (openssl req -x509) is no trust anchor; only configured anchors are (issue 23 item 12)', async () => {
    const selfCa = await issue(null, { cn: 'api.example.test', dns: ['api.example.test'], ca: true }, now);
    for (const source of ['pem', 'file', 'endpoint'] as const) {
      expect(result(runChecks(x(selfCa), { ...options, source }), 'self-signed')).toMatchObject({
        status: 'CRITICAL',
        reason: expect.stringContaining('not a configured trust anchor'),
      });
      expect(result(runChecks(x(selfCa), { ...options, source, production: false }), 'self-signed').status).toBe(
        'WARN',
      );
    }
    // The same certificate, once configured as an anchor, is one.
    const anchored = { ...options, anchors: [...options.anchors, ...x(selfCa)] };
    expect(result(runChecks(x(selfCa), anchored), 'self-signed').status).toBe('OK');
  });

  it('a self-signature is never judged, the leaf’s included (code and README agree)', async () => {
    const sha1Self = await issue(
      null,
      { cn: 'api.example.test', dns: ['api.example.test'], key: 'rsa2048', hash: 'SHA-1' },
      now,
    );
    const own = runChecks(x(sha1Self), { ...options, production: false });
    expect(result(own, 'signature-algorithm')).toMatchObject({
      status: 'OK',
      reason: 'sha1WithRSAEncryption (a self-signature, not judged)',
    });
    expect(result(own, 'self-signed').status).toBe('WARN');
  });

  it('parses the details the inventory shows', async () => {
    const d = details(new X509Certificate((await leaf({ key: 'rsa2048', ips: ['10.0.0.1'] })).pem));
    expect(d).toMatchObject({
      subject: 'CN=api.example.test',
      issuer: 'CN=Test Intermediate CA',
      keyType: 'rsa',
      keyBits: 2048,
      keyCurve: null,
      isCa: false,
      selfSigned: false,
      signatureAlgorithm: 'ecdsa-with-SHA256',
    });
    expect(d.subjectAltNames).toEqual(['DNS:api.example.test', 'IP Address:10.0.0.1']);
    expect(
      d.fingerprintSha256.split(':').every((b) => /^[0-9A-F]{2}$/.test(b)) &&
        d.fingerprintSha256.split(':').length === 32,
    ).toBe(true);
  });

  it('refuses malformed PEM and notices a pasted private key', async () => {
    expect(() => parsePemChain('hello')).toThrow('no PEM certificate');
    expect(() => parsePemChain('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow(
      'not a valid X.509',
    );
    const l = await leaf();
    expect(parsePemChain(l.pem + l.keyPem).privateKeyPresent).toBe(true);
    expect(parsePemChain(l.pem + intermediate.pem).chain).toHaveLength(2);
  });
});

describe('alert deduplication', () => {
  const row = (
    alertState: 'OK' | 'WARN' | 'CRITICAL',
    fingerprintSha256: string | null = 'AA',
    sourceType: 'pem' | 'file' | 'endpoint' = 'endpoint',
  ) => ({ alertState, fingerprintSha256, sourceType });
  const obs = (status: 'OK' | 'WARN' | 'CRITICAL', fingerprint = 'AA') => ({
    status,
    chain: [{ fingerprint256: fingerprint }] as unknown as X509Certificate[],
  });

  it('alerts on crossing into WARN or CRITICAL, not on the same state again, again when it worsens', () => {
    expect(decideAlert(row('OK'), obs('WARN')).kind).toBe('certificate.alert');
    expect(decideAlert(row('WARN'), obs('WARN')).kind).toBeUndefined();
    expect(decideAlert(row('WARN'), obs('CRITICAL')).kind).toBe('certificate.alert');
    expect(decideAlert(row('CRITICAL'), obs('CRITICAL')).kind).toBeUndefined();
    expect(decideAlert(row('CRITICAL'), obs('WARN'))).toEqual({
      kind: undefined,
      previous: 'CRITICAL',
      nextState: 'WARN',
    });
    expect(decideAlert(row('WARN'), obs('OK')).kind).toBe('certificate.recovered');
  });

  it('a new fingerprint on an endpoint or file is a renewal; a PEM entry cannot be renewed', () => {
    expect(decideAlert(row('WARN'), obs('OK', 'BB')).kind).toBe('certificate.renewed');
    expect(decideAlert(row('OK', 'AA', 'file'), obs('OK', 'BB')).kind).toBe('certificate.renewed');
    expect(decideAlert(row('OK', null), obs('OK', 'BB')).kind).toBeUndefined();
    expect(decideAlert(row('OK', 'AA', 'pem'), obs('OK', 'BB')).kind).toBeUndefined();
  });
});
