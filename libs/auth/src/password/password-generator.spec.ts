import { generatePassword, PASSWORD_CLASSES } from './password-generator';

describe('generatePassword', () => {
  it('has the requested length and every character class', () => {
    for (let i = 0; i < 500; i++) {
      const length = 16 + (i % 49);
      const pw = generatePassword(length);
      expect(pw).toHaveLength(length);
      for (const set of Object.values(PASSWORD_CLASSES)) expect([...pw].some((c) => set.includes(c))).toBe(true);
    }
  });

  it('refuses lengths outside 16–64', () => {
    expect(() => generatePassword(15)).toThrow(RangeError);
    expect(() => generatePassword(65)).toThrow(RangeError);
  });

  it('draws every position from the injected CSPRNG (no Math.random)', () => {
    const calls: number[] = [];
    generatePassword(16, (max) => {
      calls.push(max);
      return 0;
    });
    expect(calls.length).toBe(16 + 15);
  });

  it('spreads characters as designed (no modulo bias): chi-square over 20,000 characters', () => {
    const n = 1000;
    const length = 20;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) for (const c of generatePassword(length)) counts.set(c, (counts.get(c) ?? 0) + 1);
    const all = Object.values(PASSWORD_CLASSES).join('');
    // Each password: one character drawn from each class, the other length-4 from the whole alphabet.
    let chi = 0;
    for (const set of Object.values(PASSWORD_CLASSES)) {
      for (const c of set) {
        const expected = n * (1 / set.length + (length - 4) / all.length);
        chi += ((counts.get(c) ?? 0) - expected) ** 2 / expected;
      }
    }
    // 70 degrees of freedom: the 99.99th percentile is about 124; a biased generator lands far above.
    expect(chi).toBeLessThan(140);
  });
});
