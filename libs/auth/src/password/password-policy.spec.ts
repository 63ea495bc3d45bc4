import { editDistance, PasswordPolicy } from './password-policy';

describe('PasswordPolicy', () => {
  const policy = new PasswordPolicy();
  const user = { email: 'ada.lovelace@example.com', username: 'countess' };

  it('accepts a long passphrase', () => {
    expect(policy.check('orbit velvet cactus lantern', user)).toMatchObject({ ok: true });
  });

  it('refuses common passwords with a score and suggestions', () => {
    const r = policy.check('password1234', user);
    expect(r.ok).toBe(false);
    expect(r.score).toBeLessThan(3);
    expect(r.suggestions.length).toBeGreaterThan(0);
  });

  it('refuses fewer than 12 characters even when random', () => {
    expect(policy.check('Xq7#mP2$vL9', user).ok).toBe(false);
  });

  it('has no composition rules and no truncation: 128 characters count in full', () => {
    expect(policy.check('a'.repeat(100) + 'orbit velvet cactus lanter', user).ok).toBe(true);
    expect(policy.check('x'.repeat(129), user).ok).toBe(false);
  });

  it("refuses the user's own email local part, username, or a small edit of them", () => {
    expect(policy.check('ada.lovelace-orbit-velvet', user).ok).toBe(false);
    expect(policy.check('Countess!velvet#orbit', user).ok).toBe(false);
    expect(policy.check('countesz', { username: 'countess' }).ok).toBe(false);
  });

  it('measures edit distance', () => {
    expect(editDistance('countess', 'countesz')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('abcdefgh', 'zzzzzzzz', 3)).toBe(4);
  });
});
