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
});
