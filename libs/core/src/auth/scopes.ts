/** The scope catalogue: `resource:action`, one place, each described (Swagger and `GET /v1/scopes` list it). */
export const SCOPE_CATALOGUE = {
  'profiles:read': "Read the owner's own profile",
  'profiles:write': "Change the owner's own profile",
  'profiles:read_sensitive': "Unmasked PII (the owner's own; any user's with admin:all)",
  'keys:verify': 'Call the key verification endpoint for other services',
  'certificates:read': 'Read the certificate inventory',
  'certificates:write': 'Change the certificate inventory',
  'crypto:encrypt': 'Encryption as a service: encrypt',
  'crypto:decrypt': 'Encryption as a service: decrypt',
  'crypto:rewrap': 'Encryption as a service: re-encrypt under the current key without revealing plaintext',
  'crypto:hmac': 'Encryption as a service: HMAC sign and verify',
  'audit:read': "The owner's own audit events (all events with admin:all)",
  'admin:all': "Everything, including other users' resources",
} as const;

export type Scope = keyof typeof SCOPE_CATALOGUE;

export const ALL_SCOPES = Object.keys(SCOPE_CATALOGUE) as Scope[];

export const DEFAULT_USER_SCOPES: Scope[] = [
  'profiles:read',
  'profiles:write',
  'profiles:read_sensitive',
  'audit:read',
];

export const ADMIN_SCOPE: Scope = 'admin:all';

/**
 * Scopes whose power is sensitive (design.md "Assurance"): minting a key that holds one (or rotating such a key,
 * which mints its successor) is a sensitive action, so a session needs a recent authentication for it.
 */
export const SENSITIVE_SCOPES: readonly Scope[] = Object.freeze([
  'profiles:read_sensitive',
  'crypto:decrypt',
  'crypto:rewrap',
  'keys:verify',
  'admin:all',
]);

/** Whether any of `scopes` is sensitive. */
export function holdsSensitiveScope(scopes: readonly string[]): boolean {
  return scopes.some((s) => (SENSITIVE_SCOPES as readonly string[]).includes(s));
}

export function isScope(value: string): value is Scope {
  return Object.prototype.hasOwnProperty.call(SCOPE_CATALOGUE, value);
}
