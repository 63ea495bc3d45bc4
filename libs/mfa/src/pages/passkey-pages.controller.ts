import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@app/core';
import { PASSKEYS_HTML, PASSKEYS_JS } from './passkey-pages';

/**
 * `PUBLIC_URL/passkeys`: register a passkey (`#session=<token>`), finish a login with one (`#mfaToken=…`) or sign in
 * without a password (PASSKEY_LOGIN). Static and public, served with the service's security headers and
 * `Cache-Control: no-store`; not API operations, so not in the OpenAPI document.
 */
@ApiExcludeController()
@Controller({ version: VERSION_NEUTRAL })
export class PasskeyPagesController {
  @Get('passkeys')
  @Public()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  page(): string {
    return PASSKEYS_HTML;
  }

  @Get('pages/passkeys.js')
  @Public()
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-store')
  script(): string {
    return PASSKEYS_JS;
  }
}
