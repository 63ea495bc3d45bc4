import { QueryFailedError } from 'typeorm';

/** A unique constraint refused the write (SQLSTATE 23505): the row exists already, e.g. inserted by a parallel request. */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === '23505';
}

/** The name of the constraint a failed query violated, if any. */
export function violatedConstraint(err: unknown): string | undefined {
  return err instanceof QueryFailedError
    ? (err.driverError as { constraint?: string } | undefined)?.constraint
    : undefined;
}
