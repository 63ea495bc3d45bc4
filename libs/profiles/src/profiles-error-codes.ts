import { registerErrorCodes } from '@app/core';

export enum ProfilesErrorCode {
  PROFILE_NOT_FOUND = 'PROFILE_NOT_FOUND',
  PROFILE_INTEGRITY_FAILED = 'PROFILE_INTEGRITY_FAILED',
  RECENT_LOGIN_REQUIRED = 'RECENT_LOGIN_REQUIRED',
}

export const PROFILES_ERRORS = registerErrorCodes<ProfilesErrorCode>({
  PROFILE_NOT_FOUND: { status: 404, title: 'No such profile' },
  PROFILE_INTEGRITY_FAILED: { status: 409, title: 'The stored profile failed its integrity check' },
  RECENT_LOGIN_REQUIRED: { status: 403, title: 'Sign in again to see unmasked personal data' },
});
