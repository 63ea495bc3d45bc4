import { CoreErrorCode, CoreException } from './core-error-codes';
import { DomainException, DomainExceptionExtras } from './domain.exception';
import { toProblem } from './problem';

/** A module's code enum and exception, as each lib declares them beside its enum (`AuthException`, …). */
enum BillingErrorCode {
  INVOICE_NOT_FOUND = 'INVOICE_NOT_FOUND',
}
class BillingException extends DomainException<BillingErrorCode> {
  constructor(code: BillingErrorCode, detail?: string, extras?: DomainExceptionExtras) {
    super(code, detail, extras);
  }
}

describe('DomainException', () => {
  it('carries its code, detail and extras, is caught as a DomainException and maps to a problem', () => {
    const e = new CoreException(CoreErrorCode.NOT_FOUND, 'No such thing.', { headers: { 'x-a': '1' } });
    expect(e).toBeInstanceOf(DomainException);
    expect(e).toMatchObject({ code: 'NOT_FOUND', detail: 'No such thing.', extras: { headers: { 'x-a': '1' } } });
    expect(toProblem(e, 'req-1')).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND', detail: 'No such thing.' },
      headers: { 'x-a': '1' },
    });
    expect(new BillingException(BillingErrorCode.INVOICE_NOT_FOUND)).toBeInstanceOf(DomainException);
  });

  it('takes only its own module codes (tsc checks the lines marked @ts-expect-error; they fail it if allowed)', () => {
    const wrong = [
      // @ts-expect-error a module's exception refuses another module's code
      () => new BillingException(CoreErrorCode.NOT_FOUND),
      // @ts-expect-error the product-wide exception refuses a module's code
      () => new CoreException(BillingErrorCode.INVOICE_NOT_FOUND),
      // @ts-expect-error DomainException is abstract: no untyped code can be thrown
      () => new DomainException('ANY_STRING'),
      // @ts-expect-error nor a plain string through a module's exception
      () => new BillingException('INVOICE_NOT_FOUND'),
    ];
    expect(wrong).toHaveLength(4);
  });
});
