import { NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { CoreErrorCode, CoreException } from './core-error-codes';

import { isDatabaseUnavailable, toProblem } from './problem';

describe('toProblem', () => {
  it('maps a domain exception through the registry', () => {
    const p = toProblem(new CoreException(CoreErrorCode.CREDENTIALS_IN_URL, 'no'), 'req-1');
    expect(p.status).toBe(400);
    expect(p.body).toMatchObject({
      code: 'CREDENTIALS_IN_URL',
      detail: 'no',
      requestId: 'req-1',
      type: 'urn:problem:credentials-in-url',
    });
  });

  it('hides the internals of unexpected errors behind the request id', () => {
    const p = toProblem(new Error('password=hunter2 at /srv/app/x.js'), 'req-2');
    expect(p.status).toBe(500);
    expect(p.unexpected).toBe(true);
    expect(JSON.stringify(p.body)).not.toMatch(/hunter2|\/srv|x\.js/);
    expect(p.body.detail).toContain('req-2');
  });

  it('never leaks SQL from a failed query', () => {
    const err = new QueryFailedError('SELECT secret FROM users', [], new Error('column "secret" does not exist'));
    const p = toProblem(err, 'r');
    expect(p.status).toBe(500);
    expect(JSON.stringify(p.body)).not.toMatch(/SELECT|users|secret/);
  });

  it('answers 503 when the database cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(toProblem(refused, 'r')).toMatchObject({ status: 503, body: { code: 'DATABASE_UNAVAILABLE' } });
    const shutdown = new QueryFailedError(
      'SELECT 1',
      [],
      Object.assign(new Error('terminating connection'), { code: '57P01' }),
    );
    expect(isDatabaseUnavailable(shutdown)).toBe(true);
    expect(
      isDatabaseUnavailable(new QueryFailedError('x', [], Object.assign(new Error('dup'), { code: '23505' }))),
    ).toBe(false);
  });

  it('distinguishes unknown routes from other 404s', () => {
    expect(toProblem(new NotFoundException('Cannot GET /nope'), 'r').body.code).toBe('ROUTE_NOT_FOUND');
    // Every method Node accepts, not only the common ones (TRACE was NOT_FOUND).
    for (const method of ['TRACE', 'PROPFIND', 'M-SEARCH'])
      expect(toProblem(new NotFoundException(`Cannot ${method} /nope`), 'r').body.code).toBe('ROUTE_NOT_FOUND');
    expect(toProblem(new NotFoundException(), 'r').body.code).toBe('NOT_FOUND');
  });
});
