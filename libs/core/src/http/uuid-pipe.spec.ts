import { CoreException } from '../errors/core-error-codes';
import { toProblem } from '../errors/problem';
import { UuidPipe } from './uuid-pipe';

describe('UuidPipe', () => {
  const meta = (data: string) => ({ type: 'param' as const, data });
  const V4 = '5b0e8c55-3a0c-4c1e-9a55-5f0e8c553a0c';
  const V1 = 'c232ab00-9414-11ec-b3c8-9e6bdeced846';

  it('passes a UUID through', () => {
    expect(new UuidPipe().transform(V4, meta('id'))).toBe(V4);
    expect(new UuidPipe('all').transform(V1, meta('id'))).toBe(V1);
  });

  it.each(['not-a-uuid', '', `${V4}x`, V1, 42, undefined])('refuses %p naming the parameter', (value) => {
    let thrown: unknown;
    try {
      new UuidPipe().transform(value, meta('userId'));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CoreException);
    expect(toProblem(thrown, 'r').body).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'userId', messages: ['userId must be a UUID'] }],
    });
  });
});
