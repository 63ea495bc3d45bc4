import { applyDecorators, Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { API_KEY_SECURITY, SESSION_SECURITY } from '../http/openapi';
import { OptionalAuthentication } from '../http/public.decorator';
import { RequestWithPrincipal } from './principal';
import { ScopeCatalogueView } from './scope.response';
import { SCOPE_CATALOGUE } from './scopes';

const CATALOGUE = Object.entries(SCOPE_CATALOGUE).map(([scope, description]) => ({ scope, description }));

/** Anyone may read the catalogue; a caller with a credential also learns which scopes it holds. */
function CatalogueAccess(): MethodDecorator {
  return applyDecorators(
    OptionalAuthentication(),
    ApiBearerAuth(SESSION_SECURITY),
    ApiSecurity(API_KEY_SECURITY),
    ApiSecurity({}),
  );
}

@ApiTags('system')
@Controller('scopes')
export class ScopesController {
  @Get()
  @CatalogueAccess()
  @ApiOperation({
    summary: 'The scope catalogue; with a session or key, also the scopes it holds (`held`; admin:all holds all)',
  })
  @ApiOkResponse({ type: ScopeCatalogueView, description: 'The catalogue, and the scopes of the credential sent' })
  list(@Req() req: RequestWithPrincipal) {
    return { items: CATALOGUE, held: req.principal ? req.principal.scopes : null, nextCursor: null };
  }
}
