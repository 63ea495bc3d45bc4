import { loadConfig } from '@app/core';
import { classifyAddress, EndpointPolicy, HostResolver, parseEndpointRules } from './endpoint-policy';

class FakeDns extends HostResolver {
  constructor(private readonly answers: Record<string, string[]>) {
    super();
  }
  resolve(host: string): Promise<string[]> {
    const a = this.answers[host];
    return a ? Promise.resolve(a) : Promise.reject(new Error('ENOTFOUND'));
  }
}

const dns = new FakeDns({
  localhost: ['127.0.0.1', '::1'],
  'example.com': ['93.184.215.14'],
  'mixed.example.com': ['93.184.215.14', '10.1.2.3'],
  'internal.corp.test': ['10.20.0.5'],
  'metadata.corp.test': ['169.254.169.254'],
  'rebound.example.com': ['::ffff:127.0.0.1'],
  '127.0.0.1': ['127.0.0.1'],
  '10.0.0.8': ['10.0.0.8'],
  '169.254.169.254': ['169.254.169.254'],
});

const policy = (allow?: string, env: Record<string, string> = {}) =>
  new EndpointPolicy(
    loadConfig({ NODE_ENV: 'development', ...env, ...(allow === undefined ? {} : { CERT_ENDPOINT_ALLOW: allow }) }),
    dns,
  );

describe('endpoint policy (SSRF guard for live certificate probes)', () => {
  it('classifies addresses, IPv4-mapped IPv6 included', () => {
    expect(classifyAddress('127.0.0.1')).toBe('loopback');
    expect(classifyAddress('::ffff:10.0.0.1')).toBe('private');
    expect(classifyAddress('169.254.169.254')).toBe('link-local');
    expect(classifyAddress('fd00::1')).toBe('private');
    expect(classifyAddress('8.8.8.8')).toBe('public');
    expect(classifyAddress('0.0.0.0')).toBe('unspecified');
    expect(classifyAddress('64:ff9b::a00:1')).toBe('private');
  });

  it('judges every IPv6 form that embeds an IPv4 address by that address (issue 23 item 4)', () => {
    expect(classifyAddress('::a9fe:a9fe')).toBe('link-local'); // IPv4-compatible
    expect(classifyAddress('::169.254.169.254')).toBe('link-local');
    expect(classifyAddress('::7f00:1')).toBe('loopback');
    expect(classifyAddress('::ffff:0:a9fe:a9fe')).toBe('link-local'); // IPv4-translated (SIIT)
    expect(classifyAddress('::ffff:0:10.0.0.1')).toBe('private');
    expect(classifyAddress('::ffff:a9fe:a9fe')).toBe('link-local'); // IPv4-mapped, hex form
    expect(classifyAddress('0:0:0:0:0:ffff:7f00:0001')).toBe('loopback');
    expect(classifyAddress('64:ff9b::a9fe:a9fe')).toBe('link-local'); // NAT64 well-known prefix
    expect(classifyAddress('64:ff9b::808:808')).toBe('public');
    expect(classifyAddress('::2')).toBe('unspecified');
    expect(classifyAddress('::1')).toBe('loopback');
    expect(classifyAddress('::')).toBe('unspecified');
    // Relayed forms stay reserved whatever they embed.
    expect(classifyAddress('2002:808:808::1')).toBe('reserved'); // 6to4
    expect(classifyAddress('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toBe('reserved'); // Teredo
    expect(classifyAddress('64:ff9b:1::808:808')).toBe('reserved'); // local-use NAT64
    expect(classifyAddress('2606:4700::1111')).toBe('public');
  });

  it('refuses embedded forms of forbidden IPv4 targets as literals and as DNS answers', async () => {
    const d = new FakeDns({ 'sneaky.example.com': ['::ffff:0:7f00:1'] });
    const pub = new EndpointPolicy(loadConfig({ NODE_ENV: 'development', CERT_ENDPOINT_ALLOW: 'public' }), d);
    await expect(pub.authorize('sneaky.example.com')).rejects.toThrow('not allowed');
    for (const literal of ['::a9fe:a9fe', '::7f00:1', '::ffff:0:a9fe:a9fe', '64:ff9b::a00:1']) {
      const p = new EndpointPolicy(
        loadConfig({ NODE_ENV: 'development', CERT_ENDPOINT_ALLOW: 'public' }),
        new FakeDns({ [literal]: [literal] }),
      );
      await expect(p.authorize(literal)).rejects.toThrow('not allowed');
    }
    const cidr = new EndpointPolicy(
      loadConfig({ NODE_ENV: 'development', CERT_ENDPOINT_ALLOW: '169.254.169.254/32' }),
      new FakeDns({ '::ffff:a9fe:a9fe': ['::ffff:a9fe:a9fe'] }),
    );
    await expect(cidr.authorize('::ffff:a9fe:a9fe')).resolves.toBe('::ffff:a9fe:a9fe');
  });

  it('development default: loopback and public addresses, nothing private or link-local', async () => {
    const p = policy();
    await expect(p.authorize('localhost')).resolves.toBe('127.0.0.1');
    await expect(p.authorize('example.com')).resolves.toBe('93.184.215.14');
    await expect(p.authorize('internal.corp.test')).rejects.toThrow('not allowed');
    await expect(p.authorize('10.0.0.8')).rejects.toThrow('not allowed');
    await expect(p.authorize('169.254.169.254')).rejects.toThrow('not allowed');
  });

  it('production default: nothing until configured', async () => {
    await expect(policy(undefined, { NODE_ENV: 'production' }).authorize('example.com')).rejects.toThrow('not allowed');
    await expect(policy('none').authorize('localhost')).rejects.toThrow('not allowed');
  });

  it('every resolved address must pass: a name that also points inside is refused', async () => {
    await expect(policy('public').authorize('mixed.example.com')).rejects.toThrow('not allowed');
    await expect(policy('public').authorize('rebound.example.com')).rejects.toThrow('not allowed');
  });

  it('names and wildcards allow private addresses, but never link-local (cloud metadata) unless a CIDR says so', async () => {
    await expect(policy('*.corp.test').authorize('internal.corp.test')).resolves.toBe('10.20.0.5');
    await expect(policy('*.corp.test').authorize('metadata.corp.test')).rejects.toThrow('not allowed');
    await expect(policy('corp.test').authorize('internal.corp.test')).rejects.toThrow('not allowed');
    await expect(policy('169.254.169.254/32').authorize('169.254.169.254')).resolves.toBe('169.254.169.254');
    await expect(policy('10.0.0.0/24').authorize('10.0.0.8')).resolves.toBe('10.0.0.8');
  });

  it('an unknown name and a refused one answer alike (no DNS oracle)', async () => {
    const p = policy();
    const a = await p.authorize('nowhere.invalid').catch((e: Error) => e.message.replace('nowhere.invalid', 'H'));
    const b = await p.authorize('internal.corp.test').catch((e: Error) => e.message.replace('internal.corp.test', 'H'));
    expect(a).toBe(b);
  });

  it('rejects malformed entries at boot', () => {
    expect(() => parseEndpointRules('loopback, bad entry!')).toThrow('CERT_ENDPOINT_ALLOW');
  });
});
