import { ApiParam } from '@nestjs/swagger';

/** Documents a `:name` path segment that holds a UUID (the handler parses it with a UUID pipe): format, meaning, example. */
export function ApiIdParam(name: string, description: string, example: string): MethodDecorator {
  return ApiParam({ name, description, type: String, format: 'uuid', example });
}
