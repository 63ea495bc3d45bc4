import { apiKeysSchema } from '@app/api-keys';
import { auditSchema } from '@app/audit';
import { authSchema } from '@app/auth';
import { certificatesSchema } from '@app/certificates';
import { coreSchema, mergeSchemaParts } from '@app/core';
import { encryptionSchema } from '@app/encryption';
import { mfaSchema } from '@app/mfa';
import { notificationsSchema } from '@app/notifications';
import { profilesSchema } from '@app/profiles';

/** Every bounded context's tables, migrations and grants, in one list for the API, the CLI and the tests. */
export const schema = mergeSchemaParts(
  coreSchema,
  auditSchema,
  notificationsSchema,
  authSchema,
  mfaSchema,
  apiKeysSchema,
  encryptionSchema,
  profilesSchema,
  certificatesSchema,
);
