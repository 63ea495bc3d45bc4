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

/** The mails of user administration and of an email change (each tells the person what happened and by whom). */
export const adminMails = {
  disabled: (): MailText => ({
    subject: 'Your account is disabled',
    text:
      'An administrator disabled your account: its sessions have ended and its API keys no longer work. ' +
      'Contact your administrator if you did not expect this.',
  }),

  enabled: (baseUrl: string): MailText => ({
    subject: 'Your account is enabled again',
    text: `An administrator enabled your account again. You can sign in at ${baseUrl} as before.`,
  }),

  unlocked: (): MailText => ({
    subject: 'Sign-in lockout lifted',
    text:
      'An administrator lifted the sign-in lockout of your account: every device and network may try again at once. ' +
      'If you did not ask for this, change your password.',
  }),

  forcedReset: (baseUrl: string, token: string): MailText => ({
    subject: 'Set a new password',
    text:
      'An administrator asked you to set a new password and signed out every session of your account. Within one ' +
      `hour, open this link and choose a new password:\n\n${baseUrl}/reset-password#token=${token}\n\n` +
      `After that hour, ask for a new link at ${baseUrl}/v1/auth/password/forgot.`,
  }),

  everythingEnded: (counts: { sessionsEnded: number; apiKeysRevoked: number; devicesRevoked: number }): MailText => ({
    subject: 'Every session and API key of your account was ended',
    text:
      `An administrator ended everything your account held: ${counts.sessionsEnded} session(s), ` +
      `${counts.apiKeysRevoked} API key(s) and ${counts.devicesRevoked} trusted device(s). Sign in again; ` +
      'create new API keys where you still need them.',
  }),

  confirmNewEmail: (baseUrl: string, token: string, byAdmin: boolean): MailText => ({
    subject: 'Confirm your new email address',
    text:
      `${byAdmin ? 'An administrator' : 'You'} asked to use this address for an account. Within 24 hours, open this ` +
      `link to confirm it:\n\n${baseUrl}/verify-email#token=${token}\n\n` +
      'Until then the account keeps its old address. If you did not expect this, ignore this message.',
  }),

  emailInUse: (): MailText => ({
    subject: 'Your address was proposed for another account',
    text:
      'Someone asked to move another account to this address, which already has an account. Nothing was changed. ' +
      'If this was not you, ignore this message.',
  }),

  emailChangeRequested: (newEmail: string, byAdmin: boolean): MailText => ({
    subject: 'A new email address was requested for your account',
    text:
      `${byAdmin ? 'An administrator' : 'Someone signed in to your account'} asked to change its address to ` +
      `${newEmail}. The change takes effect when that address confirms it. If this was not you, change your ` +
      'password and end your other sessions.',
  }),

  emailChanged: (newEmail: string): MailText => ({
    subject: 'The email address of your account changed',
    text:
      `The address of your account is now ${newEmail}; mail no longer comes here. If this was not you, ` +
      'contact your administrator.',
  }),
};
