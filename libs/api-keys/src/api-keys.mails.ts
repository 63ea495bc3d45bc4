import type { ApiKey } from './entities/api-key.entity';

/** The texts of the mails a key's owner gets, in one place beside the module; they name keys by prefix only. */
export interface MailText {
  subject: string;
  text: string;
}

type Named = Pick<ApiKey, 'name' | 'environment' | 'keyId'>;

const prefix = (k: Pick<ApiKey, 'environment' | 'keyId'>): string => `sk_${k.environment}_${k.keyId}`;

export const apiKeyMails = {
  rotatedByAdmin: (old: Named, successor: Named, at: Date, graceEndsAt: Date | null): MailText => ({
    subject: 'An administrator rotated one of your API keys',
    text:
      `Your API key "${old.name}" (${prefix(old)}) was rotated by an administrator at ${at.toISOString()}. ` +
      (graceEndsAt ? `It keeps working until ${graceEndsAt.toISOString()}.` : 'It stopped working at once.') +
      ` Ask them for its successor (${prefix(successor)}).`,
  }),

  revokedByAdmin: (key: Named, at: Date): MailText => ({
    subject: 'An administrator revoked one of your API keys',
    text:
      `Your API key "${key.name}" (${prefix(key)}) was revoked by an administrator at ${at.toISOString()}. ` +
      'Requests with it are refused from now on.',
  }),

  expiring: (key: Named & Pick<ApiKey, 'id'>, expiresAt: string): MailText => ({
    subject: `Your API key "${key.name}" expires on ${expiresAt.slice(0, 10)}`,
    text:
      `Your API key "${key.name}" (${prefix(key)}) expires at ${expiresAt}. ` +
      `Rotate it before then: POST /v1/api-keys/${key.id}/rotate.`,
  }),

  newNetwork: (key: Named & Pick<ApiKey, 'id'>, network: string): MailText => ({
    subject: `Your API key "${key.name}" was used from a new network`,
    text:
      `Your API key "${key.name}" (${prefix(key)}) was used from ${network} for the first time. ` +
      `If that was not you, revoke the key: DELETE /v1/api-keys/${key.id}.`,
  }),
};
