import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { IS_PUBLIC, OPTIONAL_AUTHENTICATION } from '../http/public.decorator';
import { REQUIRED_SCOPES, REQUIRES_SESSION } from './require-scopes.decorator';

/** A route's access rule, as its decorators declare it. */
export interface RouteRule {
  isPublic: boolean;
  optional: boolean;
  requiresSession: boolean;
  requiredScopes: string[];
}

const rules = new WeakMap<object, RouteRule>();

/** Read once per route handler and kept: the decorators cannot change at run time, and guards run on every request. */
export function routeRule(reflector: Reflector, context: ExecutionContext): RouteRule {
  const handler = context.getHandler();
  let rule = rules.get(handler);
  if (!rule) {
    const targets = [handler, context.getClass()];
    rule = {
      isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) ?? false,
      optional: reflector.getAllAndOverride<boolean>(OPTIONAL_AUTHENTICATION, targets) ?? false,
      requiresSession: reflector.getAllAndOverride<boolean>(REQUIRES_SESSION, targets) ?? false,
      requiredScopes: reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES, targets) ?? [],
    };
    rules.set(handler, rule);
  }
  return rule;
}
