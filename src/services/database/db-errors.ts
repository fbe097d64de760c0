/**
 * What a failed statement says about itself, in PostgreSQL's own terms
 * (SQLSTATE), whichever driver raised it (pg, PGlite, or TypeORM around
 * either). Never the statement's parameters or PostgreSQL's DETAIL and
 * WHERE fields, which quote the data: those must not reach a log line.
 */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The five-character SQLSTATE of a database error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null | undefined;
  for (const code of [e?.code, e?.driverError?.code]) {
    if (typeof code === 'string' && SQLSTATE.test(code)) return code;
  }
  return undefined;
}

/**
 * Classes that say nothing about the statement's data: the connection, the
 * server's resources or state, a conflict with another transaction. The
 * same statement may well succeed later. Everything else (a data exception,
 * a constraint, a limit) fails again with the same data.
 */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '55', '57', '58', 'XX']);

/** True when retrying the same statement later may succeed (no SQLSTATE at all: the connection failed). */
export function isTransientDbError(error: unknown): boolean {
  // Raised before the statement was sent (a value that cannot be serialised): the data again.
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return false;
  const state = sqlState(error);
  return state === undefined || TRANSIENT_CLASSES.has(state.slice(0, 2));
}

export const UNIQUE_VIOLATION = '23505';
