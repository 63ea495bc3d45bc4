import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('works with no configuration at all', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.env.HOST).toBe('127.0.0.1');
    expect(config.env.PORT).toBe(3000);
    expect(config.dataDir).toBe('/srv/app/.data');
    expect(config.env.DATABASE_URL).toBeUndefined();
    expect(config.trustedProxies).toEqual(['127.0.0.1', '::1']);
    expect(config.docsEnabled).toBe(true);
  });

  it('converts and checks values', () => {
    const config = loadConfig({ PORT: '8080', NODE_ENV: 'production', DOCS_ENABLED: 'true', DATA_DIR: '/var/lib/sb' });
    expect(config.env.PORT).toBe(8080);
    expect(config.isProduction).toBe(true);
    expect(config.docsEnabled).toBe(true);
    expect(config.dataDir).toBe('/var/lib/sb');
    expect(loadConfig({ NODE_ENV: 'production' }).docsEnabled).toBe(false);
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', NODE_ENV: 'staging', DATABASE_URL: 'mysql://x', BODY_LIMIT_BYTES: '5' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'NODE_ENV', 'DATABASE_URL', 'BODY_LIMIT_BYTES']) expect(message).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('treats an empty DATABASE_URL or DOCS_ENABLED as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).env.DATABASE_URL).toBeUndefined();
    expect(loadConfig({ DOCS_ENABLED: '' }).docsEnabled).toBe(true);
    expect(loadConfig({ DOCS_ENABLED: ' ', NODE_ENV: 'production' }).docsEnabled).toBe(false);
  });

  it('does not read an empty NODE_ENV, TRUSTED_PROXIES or METRICS_ALLOW as the default (they would loosen it)', () => {
    expect(() => loadConfig({ NODE_ENV: '' })).toThrow(/NODE_ENV/);
    expect(loadConfig({ TRUSTED_PROXIES: '' }).trustedProxies).toEqual([]);
    expect(loadConfig({ METRICS_ALLOW: '' }).metricsAllow).toEqual([]);
  });

  describe('publicUrl (the start of mail links)', () => {
    it('is the bound address by default: the configured PORT, then the port the server actually bound', () => {
      const config = loadConfig({ PORT: '8081' });
      expect(config.publicUrl).toBe('http://127.0.0.1:8081');
      config.listeningOn(41234);
      expect(config.publicUrl).toBe('http://127.0.0.1:41234');
    });

    it('names loopback for a wildcard HOST and brackets IPv6', () => {
      expect(loadConfig({ HOST: '0.0.0.0', PORT: '4000' }).publicUrl).toBe('http://127.0.0.1:4000');
      expect(loadConfig({ HOST: '::', PORT: '4000' }).publicUrl).toBe('http://[::1]:4000');
      expect(loadConfig({ HOST: '::1', PORT: '4000' }).publicUrl).toBe('http://[::1]:4000');
    });

    it('PUBLIC_URL wins, then the deprecated PUBLIC_BASE_URL; a trailing slash is dropped; empty is unset', () => {
      const both = loadConfig({ PUBLIC_URL: 'https://id.example.com/', PUBLIC_BASE_URL: 'https://old.example.com' });
      both.listeningOn(41234);
      expect(both.publicUrl).toBe('https://id.example.com');
      expect(loadConfig({ PUBLIC_BASE_URL: 'https://old.example.com' }).publicUrl).toBe('https://old.example.com');
      expect(loadConfig({ PUBLIC_URL: '', PORT: '3001' }).publicUrl).toBe('http://127.0.0.1:3001');
    });

    it('refuses what is not an http(s) URL', () => {
      expect(() => loadConfig({ PUBLIC_URL: 'javascript:alert(1)' })).toThrow(/PUBLIC_URL must be an http\(s\) URL/);
      expect(() => loadConfig({ PUBLIC_URL: 'example.com' })).toThrow(/PUBLIC_URL/);
      expect(() => loadConfig({ PUBLIC_BASE_URL: 'ftp://x' })).toThrow(/PUBLIC_BASE_URL/);
    });
  });
});
