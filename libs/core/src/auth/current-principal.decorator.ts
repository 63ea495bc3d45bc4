import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';

import { RequestWithPrincipal } from './principal';

/** The request's principal (the global guard guarantees one on non-public routes). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new CoreException(CoreErrorCode.UNAUTHENTICATED, 'Sign in or present an API key.');
  return principal;
});
