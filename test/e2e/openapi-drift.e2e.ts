import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOpenApiDocument, serialiseOpenApi } from '../../apps/api/src/openapi-document';

describe('openapi.json', () => {
  it('matches what the app generates (run `npm run openapi` after changing routes)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8');
    expect(serialiseOpenApi(await generateOpenApiDocument())).toBe(committed);
  });
});
