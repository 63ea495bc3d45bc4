import type { IncomingMessage } from 'node:http';
import { requestIdFor } from './request-id';

const req = (id: string, peer: string) =>
  ({ headers: { 'x-request-id': id }, socket: { remoteAddress: peer } }) as unknown as IncomingMessage;

describe('requestIdFor', () => {
  const trusted = (a: string) => a === '127.0.0.1';

  it('keeps a well-formed id from a trusted proxy', () => {
    expect(requestIdFor(req('nginx-abc-12345', '127.0.0.1'), trusted)).toBe('nginx-abc-12345');
  });

  it('replaces an id sent by anyone else, or a malformed one', () => {
    expect(requestIdFor(req('planted-id-12345', '203.0.113.9'), trusted)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFor(req('bad id\n', '127.0.0.1'), trusted)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
