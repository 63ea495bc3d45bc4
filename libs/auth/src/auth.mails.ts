/**
 * The texts of the account mails, in one place beside the module (services only choose which one to queue).
 * Each takes the public base URL and what the text names; none is ever given a password.
 */
export interface MailText {
  subject: string;
  text: string;
}

export const authMails = {
  resetPassword: (baseUrl: string, token: string): MailText => ({
    subject: 'Reset your password',
    text:
      `Reset your password within one hour: POST ${baseUrl}/v1/auth/password/reset with ` +
      `{"token":"${token}","newPassword":"…"}. If you did not ask for this, ignore this message.`,
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
    text: `Confirm your address within 24 hours: POST ${baseUrl}/v1/auth/email/verify with {"token":"${token}"}`,
  }),
};
