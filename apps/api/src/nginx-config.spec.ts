import { adaptSiteToNginx } from './nginx-config';

describe('adaptSiteToNginx', () => {
  const site = [
    'upstream security_backend {',
    '    zone security_backend 64k;',
    '    server app1:3000 resolve max_fails=3 fail_timeout=10s; server app2:3000 resolve max_fails=3 fail_timeout=10s;',
    '}',
    'server {',
    '    listen 443 ssl default_server;',
    '    http2 on;',
    '}',
    '# a comment naming http2 on; and resolve stays as it is',
    '',
  ].join('\n');

  it('leaves the text alone for nginx >= 1.27.3', () => {
    expect(adaptSiteToNginx(site, [1, 28, 0])).toBe(site);
  });

  it('before 1.27.3 drops upstream `resolve` (names resolved at start) and keeps `http2 on;` from 1.25.1', () => {
    const out = adaptSiteToNginx(site, [1, 26, 2]);
    expect(out).not.toMatch(/server app\d:3000 resolve/);
    expect(out).toContain('server app1:3000 max_fails=3 fail_timeout=10s; server app2:3000 max_fails=3');
    expect(out).toContain('    http2 on;\n');
  });

  it('before 1.25.1 moves HTTP/2 to the listen parameter', () => {
    const out = adaptSiteToNginx(site, [1, 22, 1]);
    expect(out).toContain('listen 443 ssl http2 default_server;');
    expect(out).not.toMatch(/^\s*http2 on;$/m);
    expect(out).toContain('# a comment naming http2 on; and resolve stays as it is');
  });
});
