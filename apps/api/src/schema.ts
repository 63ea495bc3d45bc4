import { auditSchema } from '@app/audit';
import { mergeSchemaParts } from '@app/core';

/** Every bounded context's tables, migrations and grants, in one list for the API, the CLI and the tests. */
export const schema = mergeSchemaParts(auditSchema);
