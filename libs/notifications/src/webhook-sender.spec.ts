import { signWebhook, verifyWebhookSignature } from './webhook-sender';

describe('webhook signatures', () => {
  const secret = 'webhook-secret-for-the-unit-test-0123';
  const body = '{"type":"certificate.alert"}';
  const t = 1_790_000_000;
  const header = signWebhook(secret, t, body);

  it('verify for the right secret, body and time only', () => {
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, header, body, t)).toBe(true);
    expect(verifyWebhookSignature(`${secret}x`, header, body, t)).toBe(false);
    expect(verifyWebhookSignature(secret, header, `${body} `, t)).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, t + 301)).toBe(false);
  });

  it('refuse other spellings of the right signature (an appended character decodes to the same bytes)', () => {
    for (const spelling of [
      `${header}0`,
      `${header}z`,
      header.toUpperCase().replace('T=', 't=').replace('V1=', 'v1='),
    ]) {
      expect(verifyWebhookSignature(secret, spelling, body, t)).toBe(false);
    }
  });
});
