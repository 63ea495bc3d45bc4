import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowUnverifiedEmail, OptionalAuthentication } from './access.decorators';
import { RequestWithPrincipal } from './principal';
import { ScopeCatalogueView } from './scope.response';
import { SCOPE_CATALOGUE } from './scopes';

const CATALOGUE = Object.entries(SCOPE_CATALOGUE).map(([scope, description]) => ({ scope, description }));

@ApiTags('system')
@Controller('scopes')
export class ScopesController {
  @Get()
  // Anyone may read the catalogue; a caller with a credential also learns which scopes it holds.
  @OptionalAuthentication()
  @AllowUnverifiedEmail()
  @ApiOperation({
    summary: 'The scope catalogue; with a session or key, also the scopes it holds (`held`; admin:all holds all)',
  })
  @ApiOkResponse({ type: ScopeCatalogueView, description: 'The catalogue, and the scopes of the credential sent' })
  list(@Req() req: RequestWithPrincipal) {
    return { items: CATALOGUE, held: req.principal ? req.principal.scopes : null, nextCursor: null };
  }
}
