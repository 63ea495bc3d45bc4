/**
 * The texts of the account mails, in one place beside the module (services only choose which one to queue).
 * Each takes the public URL (`PUBLIC_URL`) and what the text names; none is ever given a password.
 * Links carry their token in the fragment (`#token=…`): a browser never sends it to a server, so it is in no access
 * log, proxy log or Referer; the page's own script reads it and POSTs it (GET changes nothing: mail scanners
 * prefetch links).
 */
export interface MailText {
  subject: string;
  text: string;
}

export const authMails = {
  resetPassword: (baseUrl: string, token: string): MailText => ({
    subject: 'Reset your password',
    text:
      `Someone (maybe you) asked to reset the password of your account. Within one hour, open this link and ` +
      `choose a new password:\n\n${baseUrl}/reset-password#token=${token}\n\n` +
      'It signs out every session and revokes every API key of the account. ' +
      'If you did not ask for this, ignore this message: your password stays as it is.',
  }),

  registerExisting: (baseUrl: string): MailText => ({
    subject: 'Someone tried to register with your address',
    text:
      'Someone (maybe you) tried to create an account with this address, which already has one. ' +
      `If it was you, sign in or reset your password at ${baseUrl}/v1/auth/password/forgot. Otherwise ignore this message.`,
  }),

  registerUsernameTaken: (username: string): MailText => ({
    subject: 'Registration could not be completed',
    text: `The username "${username}" is not available. Register again with another username.`,
  }),

  verifyEmail: (baseUrl: string, token: string): MailText => ({
    subject: 'Confirm your email address',
    text:
      `Confirm your email address within 24 hours by opening this link:\n\n${baseUrl}/verify-email#token=${token}\n\n` +
      'If you did not create an account, ignore this message.',
  }),

  untrustedLockout: (baseUrl: string, minutes: number): MailText => ({
    subject: 'Many wrong passwords for your account',
    text:
      'Many sign-ins with a wrong password were tried on your account from devices and networks it has not used. ' +
      `For at least ${minutes} minutes, such new devices and networks are refused; the devices and networks you ` +
      'signed in from before are not affected. If this was not you, nothing is needed: your password was not ' +
      `accepted. If your password may be known to others, change it, or reset it at ${baseUrl}/v1/auth/password/forgot.`,
  }),
};
