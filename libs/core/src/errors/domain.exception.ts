export interface FieldError {
  field: string;
  messages: string[];
}

export type DomainExceptionExtras = { errors?: FieldError[]; headers?: Record<string, string>; [key: string]: unknown };

/**
 * An error a module raises on purpose: a stable code (mapped to HTTP in one place) and a safe detail. It is control
 * flow, not a bug, so it captures no stack trace: a flood of refused requests (bad keys, wrong passwords) does not pay
 * for one per request, and there is nothing internal to leak.
 *
 * Abstract and typed by a code enum: each module throws its own subclass (`AuthException` takes only
 * `AuthErrorCode`, …, declared beside its enum) and the product-wide codes go through `CoreException`, so a module
 * cannot raise another module's code by accident (tsc refuses it). `instanceof DomainException` still catches all.
 */
export abstract class DomainException<C extends string = string> extends Error {
  readonly code: C;
  readonly detail?: string;
  readonly extras: DomainExceptionExtras;

  protected constructor(code: C, detail?: string, extras: DomainExceptionExtras = {}) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(detail ?? code);
    Error.stackTraceLimit = limit;
    this.name = 'DomainException';
    this.code = code;
    this.detail = detail;
    this.extras = extras;
  }
}
