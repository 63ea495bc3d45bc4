export interface ErrorDefinition {
  status: number;
  title: string;
}

const registry = new Map<string, ErrorDefinition>();

/**
 * Each module declares its codes in one enum and maps them to HTTP here, once. Codes are unique across the
 * product: registering a code twice with another meaning throws at load time.
 */
export function registerErrorCodes<C extends string>(table: Record<C, ErrorDefinition>): Record<C, ErrorDefinition> {
  for (const [code, def] of Object.entries(table) as [string, ErrorDefinition][]) {
    const existing = registry.get(code);
    if (existing && (existing.status !== def.status || existing.title !== def.title)) {
      throw new Error(`Error code ${code} registered twice with different meanings`);
    }
    registry.set(code, def);
  }
  return table;
}

export function errorDefinition(code: string): ErrorDefinition | undefined {
  return registry.get(code);
}

export function allErrorCodes(): [string, ErrorDefinition][] {
  return [...registry.entries()].sort(([a], [b]) => a.localeCompare(b));
}
