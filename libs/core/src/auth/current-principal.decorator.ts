import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { unauthenticated } from './access-problems';
import { RequestWithPrincipal } from './principal';

/** The request's principal (the global guard guarantees one on non-public routes). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw unauthenticated();
  return principal;
});
