import type { ApiKey } from './entities/api-key.entity';

/** The texts of the mails a key's owner gets, in one place beside the module; they name keys by prefix only. */
export interface MailText {
  subject: string;
  text: string;
}

type Named = Pick<ApiKey, 'name' | 'environment' | 'keyId'>;

/** Who minted a key and from where, as a creation notice names them. */
export interface Minted {
  /** The owner's own session, an administrator (by user id), or an operator at the admin command line. */
  by: { kind: 'owner' } | { kind: 'admin'; userId: string } | { kind: 'operator' };
  /** The creating client's address (the trusted one, never a spoofable header); null when unknown. */
  ip: string | null;
}

const byWhom = (m: Minted): string =>
  m.by.kind === 'owner'
    ? 'by you, from a signed-in session'
    : m.by.kind === 'admin'
      ? `by an administrator (user ${m.by.userId})`
      : 'by an operator with the admin command line';
const fromWhere = (m: Minted): string => (m.ip ? `from ${m.ip}` : 'from an unknown address');

const prefix = (k: Pick<ApiKey, 'environment' | 'keyId'>): string => `sk_${k.environment}_${k.keyId}`;

export const apiKeyMails = {
  /** Every key creation, as GitHub tells of new tokens: enough to recognise it, never the secret. */
  created: (key: Named & Pick<ApiKey, 'id' | 'scopes'>, m: Minted, at: Date, rotatedFrom?: Named): MailText => ({
    subject: `A new API key "${key.name}" was created for your account`,
    text:
      `A new API key "${key.name}" (${prefix(key)}) was created ${byWhom(m)} ${fromWhere(m)} at ${at.toISOString()}` +
      (rotatedFrom ? `, rotating ${prefix(rotatedFrom)}` : '') +
      ', ' +
      `with the scopes: ${key.scopes.join(', ') || '(none)'}. ` +
      `If that was not you, revoke it (DELETE /v1/api-keys/${key.id}), or every key at once ` +
      '(POST /v1/api-keys/revoke-all), and change your password.',
  }),

  /** A password reset by mail revoked the keys: named by name and prefix only. */
  revokedOnReset: (keys: Named[], at: Date): MailText => ({
    subject: `Your password was reset: ${keys.length} API key${keys.length === 1 ? ' was' : 's were'} revoked`,
    text:
      `Your password was reset at ${at.toISOString()}. To end any access someone else may have set up, ` +
      `every API key of your account was revoked:\n` +
      keys.map((k) => `- "${k.name}" (${prefix(k)})`).join('\n') +
      '\nCreate new keys where you still need them.',
  }),

  /** An administrator minted a successor in the owner's name: also the creation notice for that key. */
  rotatedByAdmin: (
    old: Named,
    successor: Named & Pick<ApiKey, 'scopes'>,
    m: Minted,
    at: Date,
    graceEndsAt: Date | null,
  ): MailText => ({
    subject: 'An administrator rotated one of your API keys',
    text:
      `Your API key "${old.name}" (${prefix(old)}) was rotated ${byWhom(m)} ${fromWhere(m)} at ${at.toISOString()}. ` +
      (graceEndsAt ? `It keeps working until ${graceEndsAt.toISOString()}.` : 'It stopped working at once.') +
      ` Ask them for its successor (${prefix(successor)}), with the scopes: ${successor.scopes.join(', ') || '(none)'}.`,
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
