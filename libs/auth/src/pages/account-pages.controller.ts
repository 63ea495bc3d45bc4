import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@app/core';
import { RESET_PASSWORD_HTML, RESET_PASSWORD_JS, VERIFY_EMAIL_HTML, VERIFY_EMAIL_JS } from './account-pages';

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';

/**
 * The pages the account mails link to (`PUBLIC_URL/verify-email#token=…`, `PUBLIC_URL/reset-password#token=…`).
 * Static and public; GET only reads, the page scripts POST to the API. They answer with the service's security
 * headers (CSP `script-src 'self'`, `Referrer-Policy: no-referrer`) and `Cache-Control: no-store`, so no cache keeps
 * a page that was opened with a token. Not API operations, so not in the OpenAPI document (see docs/auth.md).
 */
@ApiExcludeController()
@Controller({ version: VERSION_NEUTRAL })
export class AccountPagesController {
  @Get('verify-email')
  @Public()
  @Header('content-type', HTML)
  @Header('cache-control', 'no-store')
  verifyEmailPage(): string {
    return VERIFY_EMAIL_HTML;
  }

  @Get('reset-password')
  @Public()
  @Header('content-type', HTML)
  @Header('cache-control', 'no-store')
  resetPasswordPage(): string {
    return RESET_PASSWORD_HTML;
  }

  @Get('pages/verify-email.js')
  @Public()
  @Header('content-type', JS)
  @Header('cache-control', 'no-store')
  verifyEmailScript(): string {
    return VERIFY_EMAIL_JS;
  }

  @Get('pages/reset-password.js')
  @Public()
  @Header('content-type', JS)
  @Header('cache-control', 'no-store')
  resetPasswordScript(): string {
    return RESET_PASSWORD_JS;
  }
}
