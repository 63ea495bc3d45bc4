import { DomainException, DomainExceptionExtras, registerErrorCodes } from '@app/core';

/** The second-factor context's own codes (wrong factors and second-step tokens answer auth's codes, see AuthErrorCode). */
export enum MfaErrorCode {
  MFA_FACTOR_NOT_FOUND = 'MFA_FACTOR_NOT_FOUND',
  TOTP_ALREADY_ENROLLED = 'TOTP_ALREADY_ENROLLED',
  TOTP_ENROLMENT_NOT_FOUND = 'TOTP_ENROLMENT_NOT_FOUND',
  TOTP_CODE_WRONG = 'TOTP_CODE_WRONG',
  MFA_NOT_ENROLLED = 'MFA_NOT_ENROLLED',
  WEBAUTHN_REGISTRATION_FAILED = 'WEBAUTHN_REGISTRATION_FAILED',
  PASSKEY_LOGIN_DISABLED = 'PASSKEY_LOGIN_DISABLED',
}

export const MFA_ERRORS = registerErrorCodes<MfaErrorCode>({
  MFA_FACTOR_NOT_FOUND: { status: 404, title: 'No such second factor' },
  TOTP_ALREADY_ENROLLED: {
    status: 409,
    title: 'An authenticator app is already enrolled; remove it before enrolling another',
  },
  TOTP_ENROLMENT_NOT_FOUND: { status: 404, title: 'No pending authenticator enrolment; start one first' },
  TOTP_CODE_WRONG: { status: 400, title: 'The code does not match the authenticator being enrolled' },
  MFA_NOT_ENROLLED: { status: 409, title: 'No second factor is enrolled' },
  WEBAUTHN_REGISTRATION_FAILED: {
    status: 400,
    title: 'The passkey registration did not verify (challenge, origin or attestation)',
  },
  PASSKEY_LOGIN_DISABLED: { status: 404, title: 'Passwordless sign-in with a passkey is not enabled (PASSKEY_LOGIN)' },
});

export class MfaException extends DomainException<MfaErrorCode> {
  constructor(code: MfaErrorCode, detail?: string, extras?: DomainExceptionExtras) {
    super(code, detail, extras);
  }
}
