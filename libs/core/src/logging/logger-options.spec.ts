import { QueryFailedError } from 'typeorm';
import { safeErrorSerializer } from './logger-options';

describe('safeErrorSerializer', () => {
  it('drops the SQL, its parameters and the driver error of a failed query', () => {
    const err = new QueryFailedError(
      'SELECT * FROM users WHERE email = $1',
      ['victim@example.com', '$argon2id$secret'],
      Object.assign(new Error('boom'), { code: '22021' }),
    );
    const out = JSON.stringify(safeErrorSerializer(err));
    expect(out).not.toMatch(/victim@example.com|argon2id|SELECT/);
    expect(safeErrorSerializer(err)).toMatchObject({ type: 'QueryFailedError', code: '22021' });
  });
});
