import { ValidationError, ValidationPipe } from '@nestjs/common';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';
import { FieldError } from '../errors/domain.exception';

/** Field names and messages are cut: an unknown key can be as long as the body, and its message repeats it. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints
      ? [{ field: clip(field, 120), messages: Object.values(e.constraints).map((m) => clip(m, 240)) }]
      : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * How many field errors an answer lists: a body with thousands of unknown keys gets the first ones and the count,
 * not an answer many times its own size (a request amplifier).
 */
export const MAX_LISTED_ERRORS = 20;

/** Global DTO validation: unknown fields are refused, values are never echoed back, at most 20 errors listed. */
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
      const listed = list.slice(0, MAX_LISTED_ERRORS);
      const detail =
        list.length > listed.length
          ? `${list.length} field(s) are invalid; the first ${listed.length} are listed`
          : `${list.length} field(s) are invalid`;
      return new CoreException(CoreErrorCode.VALIDATION_FAILED, detail, {
        errors: listed,
        errorCount: list.length,
      });
    },
  });
}

/**
 * Marks the alternatives of a body that takes exactly one of them (`x-exactly-one-of` names the group), for
 * `@ApiProperty`: a reader or a generator sees that they exclude each other; the DTO answers 400 VALIDATION_FAILED
 * for none or several. test/e2e/openapi-requests.e2e.ts sends one member of each group.
 */
export function exactlyOneOf(group: string): Record<string, string> {
  return { 'x-exactly-one-of': group };
}

/** Text fields that end up in logs, mails or headers hold no control characters (no log or header injection). */
// eslint-disable-next-line no-control-regex
export const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;
