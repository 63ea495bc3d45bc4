import { deviceCookie, deviceTokenInCookies } from './device-cookie';

const TOKEN = 'q3V9aXQk0nRr1M2bUu7cJq8Lw0pNn5e3VhS4yZ6tA1o';

describe('device cookie', () => {
  it('is a __Host- cookie: Secure, HttpOnly, SameSite=Strict, Path=/, no Domain', () => {
    const c = deviceCookie(TOKEN, 90);
    expect(c).toBe(`__Host-device=${TOKEN}; Max-Age=7776000; Path=/; Secure; HttpOnly; SameSite=Strict`);
    expect(c).not.toMatch(/Domain/i);
  });

  it('reads the token from a Cookie header among others, and ignores malformed or look-alike ones', () => {
    expect(deviceTokenInCookies(`a=1; __Host-device=${TOKEN}; b=2`)).toBe(TOKEN);
    expect(deviceTokenInCookies(`__Host-device=short; __Host-device=${TOKEN}`)).toBe(TOKEN);
    expect(deviceTokenInCookies(`device=${TOKEN}; __host-device=${TOKEN}`)).toBeUndefined();
    expect(deviceTokenInCookies(undefined)).toBeUndefined();
    expect(deviceTokenInCookies('__Host-device')).toBeUndefined();
  });
});
