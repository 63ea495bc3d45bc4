import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';

/**
 * A path parameter that must be a UUID (`@Param('id', new UuidPipe())`). A malformed one is refused like any other
 * invalid input, 400 VALIDATION_FAILED naming the parameter, before the handler or a query sees it (Nest's
 * ParseUUIDPipe answers a bare "Bad request" that names nothing).
 */
@Injectable()
export class UuidPipe implements PipeTransform<unknown, string> {
  constructor(private readonly version: '4' | 'all' = '4') {}

  transform(value: unknown, metadata: ArgumentMetadata): string {
    if (typeof value === 'string' && isUUID(value, this.version)) return value;
    const field = metadata.data ?? 'id';
    throw new CoreException(CoreErrorCode.VALIDATION_FAILED, '1 field(s) are invalid', {
      errors: [{ field, messages: [`${field} must be a UUID`] }],
      errorCount: 1,
    });
  }
}
