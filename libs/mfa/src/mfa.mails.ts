import type { MailText } from './mfa.types';

/** The texts of the second-factor mails (none holds a secret, a code or a link that acts). */
export const mfaMails = {
  factorAdded: (kind: string, name: string): MailText => ({
    subject: 'A second factor was added to your account',
    text:
      `A second factor (${kind}: ${name}) was added to your account, and your other sessions were signed out. ` +
      'If this was not you, reset your password at once and contact an administrator.',
  }),
  factorRemoved: (kind: string, name: string): MailText => ({
    subject: 'A second factor was removed from your account',
    text:
      `A second factor (${kind}: ${name}) was removed from your account, and your other sessions were signed out. ` +
      'If this was not you, reset your password at once and contact an administrator.',
  }),
  recoveryCodeUsed: (left: number): MailText => ({
    subject: 'A recovery code was used to sign in',
    text:
      `One of your recovery codes was just used; ${left} remain. ` +
      'If this was not you, reset your password and regenerate your recovery codes at once.',
  }),
  recoveryCodesRegenerated: (): MailText => ({
    subject: 'Your recovery codes were replaced',
    text: 'New recovery codes were generated for your account; the old ones no longer work.',
  }),
  factorsReset: (): MailText => ({
    subject: 'The second factors of your account were reset',
    text:
      'An administrator removed every second factor and recovery code of your account and signed out all its ' +
      'sessions. Sign in with your password and enrol a new factor.',
  }),
};
