/** What each bounded context contributes to the one database: entities, migrations and grants. */
export interface SchemaParts {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
  /** Tables the app role may only SELECT and INSERT (no UPDATE/DELETE/TRUNCATE), e.g. the audit log. */
  appendOnlyTables: string[];
  /** Columns of append-only tables the app may still overwrite (erasure of personal data), per table. */
  redactableColumns?: Record<string, string[]>;
  /** Tables the app role may only SELECT: written by SECURITY DEFINER functions of the owner (audit checkpoints). */
  readOnlyTables?: string[];
}

export function mergeSchemaParts(...parts: Partial<SchemaParts>[]): SchemaParts {
  return {
    entities: parts.flatMap((p) => p.entities ?? []),
    migrations: parts.flatMap((p) => p.migrations ?? []),
    appendOnlyTables: parts.flatMap((p) => p.appendOnlyTables ?? []),
    redactableColumns: Object.assign({}, ...parts.map((p) => p.redactableColumns ?? {})) as Record<string, string[]>,
    readOnlyTables: parts.flatMap((p) => p.readOnlyTables ?? []),
  };
}
