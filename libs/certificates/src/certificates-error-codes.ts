import { DomainException, DomainExceptionExtras, registerErrorCodes } from '@app/core';

export enum CertificatesErrorCode {
  CERTIFICATE_NOT_FOUND = 'CERTIFICATE_NOT_FOUND',
  CERTIFICATE_EXISTS = 'CERTIFICATE_EXISTS',
  CERTIFICATE_LIMIT_REACHED = 'CERTIFICATE_LIMIT_REACHED',
  CERTIFICATE_SOURCE_INVALID = 'CERTIFICATE_SOURCE_INVALID',
  CERTIFICATE_PEM_INVALID = 'CERTIFICATE_PEM_INVALID',
  CERTIFICATE_PATH_NOT_ALLOWED = 'CERTIFICATE_PATH_NOT_ALLOWED',
  CERTIFICATE_ENDPOINT_NOT_ALLOWED = 'CERTIFICATE_ENDPOINT_NOT_ALLOWED',
}

export const CERTIFICATES_ERRORS = registerErrorCodes<CertificatesErrorCode>({
  CERTIFICATE_NOT_FOUND: { status: 404, title: 'No such certificate' },
  CERTIFICATE_EXISTS: { status: 409, title: 'This certificate source is already in the inventory' },
  CERTIFICATE_LIMIT_REACHED: { status: 409, title: 'The user already monitors the maximum number of certificates' },
  CERTIFICATE_SOURCE_INVALID: { status: 400, title: 'Give exactly one source: pem, path, or host and port' },
  CERTIFICATE_PEM_INVALID: { status: 422, title: 'The PEM text holds no valid certificate' },
  CERTIFICATE_PATH_NOT_ALLOWED: {
    status: 403,
    title: 'Certificate files may only be read from the configured directories',
  },
  CERTIFICATE_ENDPOINT_NOT_ALLOWED: { status: 403, title: 'This endpoint may not be probed' },
});

/** Raised by this module with one of its own codes (product-wide codes go through CoreException). */
export class CertificatesException extends DomainException<CertificatesErrorCode> {
  constructor(code: CertificatesErrorCode, detail?: string, extras?: DomainExceptionExtras) {
    super(code, detail, extras);
  }
}
