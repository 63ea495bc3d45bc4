import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'security:isPublic';

/** Marks a route that needs no principal; the global authentication guard reads it. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
