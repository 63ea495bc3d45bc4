import { DomainException, DomainExceptionExtras, registerErrorCodes } from '@app/core';

export enum ProfilesErrorCode {
  PROFILE_NOT_FOUND = 'PROFILE_NOT_FOUND',
  PROFILE_INTEGRITY_FAILED = 'PROFILE_INTEGRITY_FAILED',
}

export const PROFILES_ERRORS = registerErrorCodes<ProfilesErrorCode>({
  PROFILE_NOT_FOUND: { status: 404, title: 'No such profile' },
  PROFILE_INTEGRITY_FAILED: { status: 409, title: 'The stored profile failed its integrity check' },
});

/** Raised by this module with one of its own codes (product-wide codes go through CoreException). */
export class ProfilesException extends DomainException<ProfilesErrorCode> {
  constructor(code: ProfilesErrorCode, detail?: string, extras?: DomainExceptionExtras) {
    super(code, detail, extras);
  }
}
