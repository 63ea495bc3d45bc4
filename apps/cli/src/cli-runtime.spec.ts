import { DomainException } from '@app/core';
import { failureLine } from './cli-runtime';

class PolicyRefusal extends DomainException<'PASSWORD_TOO_WEAK'> {
  constructor(extras: Record<string, unknown>) {
    super('PASSWORD_TOO_WEAK', 'Choose a stronger password.', extras);
  }
}

describe('the CLI’s one error line (issue 23 item 15)', () => {
  it('gives a weak password’s strength, reasons and suggestions, as the API answer does', () => {
    // The extras AuthService.enforcePolicy attaches, which the API returns as problem fields.
    const line = failureLine(
      new PolicyRefusal({
        score: 1,
        suggestions: [
          'This is similar to a commonly used password.',
          'Add another word or two; uncommon words are better.',
        ],
      }),
    );
    expect(line).toBe(
      'Choose a stronger password. Strength 1 of 4. This is similar to a commonly used password. Add another word or two; uncommon words are better.',
    );
    expect(line).not.toContain('\n');
  });

  it('names the fields at fault, and keeps other errors to their first line', () => {
    expect(
      failureLine(
        new PolicyRefusal({ errors: [{ field: 'email', messages: ['email must be an email', 'too long'] }] }),
      ),
    ).toBe('Choose a stronger password. email: email must be an email, too long.');
    expect(failureLine(new Error('first\nsecond'))).toBe('first');
  });
});
