import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'security:isPublic';

export const OPTIONAL_AUTHENTICATION = 'security:optionalAuthentication';

/** Marks a route that needs no principal; the global authentication guard reads it and ignores any credential. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * A route open to anyone that answers more to a caller who presents a credential: one presented is verified like
 * anywhere else (an invalid one is refused, never silently ignored); none means an anonymous request.
 */
export const OptionalAuthentication = (): MethodDecorator & ClassDecorator =>
  SetMetadata(OPTIONAL_AUTHENTICATION, true);
