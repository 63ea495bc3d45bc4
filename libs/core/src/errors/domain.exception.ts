export interface FieldError {
  field: string;
  messages: string[];
}

/** An error a module raises on purpose: a stable code (mapped to HTTP in one place) and a safe detail. */
export class DomainException extends Error {
  constructor(
    readonly code: string,
    readonly detail?: string,
    readonly extras: { errors?: FieldError[]; headers?: Record<string, string>; [key: string]: unknown } = {},
  ) {
    super(detail ?? code);
    this.name = 'DomainException';
  }
}
