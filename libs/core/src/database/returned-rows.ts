/** TypeORM answers `[rows, count]` for UPDATE/DELETE … RETURNING on PostgreSQL, and `rows` otherwise. */
export function returnedRows<T>(result: unknown): T[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}
