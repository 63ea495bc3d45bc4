import { DomainException, DomainExceptionExtras, registerErrorCodes } from '@app/core';

export enum AuthErrorCode {
  INVALID_CREDENTIALS = 'INVALID_CREDENTIALS',
  TOO_MANY_LOGIN_ATTEMPTS = 'TOO_MANY_LOGIN_ATTEMPTS',
  PASSWORD_TOO_WEAK = 'PASSWORD_TOO_WEAK',
  PASSWORD_BREACHED = 'PASSWORD_BREACHED',
  SESSION_INVALID = 'SESSION_INVALID',
  SESSION_EXPIRED = 'SESSION_EXPIRED',
  SESSION_NOT_FOUND = 'SESSION_NOT_FOUND',
  TOKEN_INVALID = 'TOKEN_INVALID',
  USER_NOT_FOUND = 'USER_NOT_FOUND',
  UNKNOWN_SCOPE = 'UNKNOWN_SCOPE',
  VERIFICATION_MAIL_LIMIT = 'VERIFICATION_MAIL_LIMIT',
  /** A second factor (TOTP, recovery code, passkey) is wrong, already used, or the account is locked (one answer). */
  SECOND_FACTOR_INVALID = 'SECOND_FACTOR_INVALID',
  /** The mfaToken of a login's second step is unknown, used, expired, or its password step no longer holds. */
  MFA_TOKEN_INVALID = 'MFA_TOKEN_INVALID',
  EMAIL_UNCHANGED = 'EMAIL_UNCHANGED',
}

export const AUTH_ERRORS = registerErrorCodes<AuthErrorCode>({
  INVALID_CREDENTIALS: { status: 401, title: 'Email or password is wrong' },
  TOO_MANY_LOGIN_ATTEMPTS: { status: 429, title: 'Too many failed logins from this address; wait and retry' },
  PASSWORD_TOO_WEAK: { status: 400, title: 'The password does not meet the password policy' },
  PASSWORD_BREACHED: { status: 400, title: 'The password appears in a list of breached passwords' },
  SESSION_INVALID: { status: 401, title: 'The session token is not valid' },
  SESSION_EXPIRED: { status: 401, title: 'The session has expired' },
  SESSION_NOT_FOUND: { status: 404, title: 'No such session' },
  TOKEN_INVALID: { status: 400, title: 'The token is invalid, used or expired' },
  USER_NOT_FOUND: { status: 404, title: 'No such user' },
  UNKNOWN_SCOPE: { status: 400, title: 'Unknown scope' },
  SECOND_FACTOR_INVALID: { status: 401, title: 'The second factor is wrong or already used' },
  MFA_TOKEN_INVALID: { status: 401, title: 'The second-step token is invalid, used or expired; sign in again' },
  VERIFICATION_MAIL_LIMIT: {
    status: 429,
    title: 'Enough verification mails went to this address this hour; try again later',
  },
  EMAIL_UNCHANGED: { status: 400, title: 'The new email address is the one the account has' },
});

/** Raised by this module with one of its own codes (product-wide codes go through CoreException). */
export class AuthException extends DomainException<AuthErrorCode> {
  constructor(code: AuthErrorCode, detail?: string, extras?: DomainExceptionExtras) {
    super(code, detail, extras);
  }
}
