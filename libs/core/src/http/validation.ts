import { ValidationError, ValidationPipe } from '@nestjs/common';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';
import { FieldError } from '../errors/domain.exception';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Global DTO validation: unknown fields are refused, values are never echoed back. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const list = flatten(errors);
      return new CoreException(CoreErrorCode.VALIDATION_FAILED, `${list.length} field(s) are invalid`, {
        errors: list,
      });
    },
  });
}

/** Text fields that end up in logs, mails or headers hold no control characters (no log or header injection). */
// eslint-disable-next-line no-control-regex
export const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;
