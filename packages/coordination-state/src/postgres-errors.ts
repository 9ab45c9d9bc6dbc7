import { CoordinationError } from './errors.js';
import { POSTGRES_SCHEMA_VERSION } from './postgres-schema.js';

/** The environment variable the PostgreSQL connection URL is read from. */
export const DATABASE_URL_ENV = 'RUNWARDEN_DATABASE_URL';

/**
 * Turns an error of the driver (`pg`) or the server into a
 * {@link CoordinationError} a user can act on: `ERR_DATABASE_UNREACHABLE`
 * (connection refused or lost, login refused), `ERR_SCHEMA_MISSING` (no
 * tables, or no functions of migration 3), `ERR_STORE_BUSY` (PostgreSQL's
 * `lock_timeout`, SQLSTATE 55P03), else `ERR_DATABASE` with the server's
 * error as `cause`. SQLSTATE codes: PostgreSQL's Appendix A.
 *
 * @param error - what the driver threw.
 * @param place - the server (host, port, database; never the password) and the schema, for messages.
 * @returns the error to throw (a {@link CoordinationError} is returned as it is).
 */
export function translatePostgresError(
  error: unknown,
  place: { where: string; schema: string },
): unknown {
  if (CoordinationError.isInstance(error)) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error)?.message ?? String(error);
  const unreachable =
    (code !== undefined &&
      ([
        'ECONNREFUSED',
        'ENOTFOUND',
        'EAI_AGAIN',
        'ETIMEDOUT',
        'ECONNRESET',
        'EHOSTUNREACH',
        'ENOENT',
      ].includes(code) ||
        code.startsWith('08') ||
        code === '57P01' ||
        code === '57P03')) ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(message);
  if (unreachable) {
    return new CoordinationError({
      code: 'ERR_DATABASE_UNREACHABLE',
      message: `PostgreSQL at ${place.where} is unreachable: ${message}.`,
      cause: error,
      hint: `Check that the server runs and the URL (--database-url or ${DATABASE_URL_ENV}) is right.`,
    });
  }
  if (code === '42P01' || code === '3F000') {
    return new CoordinationError({
      code: 'ERR_SCHEMA_MISSING',
      message: `PostgreSQL at ${place.where} has no runwarden coordination tables in schema ${place.schema}.`,
      cause: error,
      hint: 'Create them once with `runwarden db migrate --database-url URL`.',
    });
  }
  if (code === '42883' && /coordination_/.test(message)) {
    return new CoordinationError({
      code: 'ERR_SCHEMA_MISSING',
      message: `PostgreSQL at ${place.where} has an older runwarden coordination schema in ${place.schema} (no coordination functions; this runwarden needs version ${POSTGRES_SCHEMA_VERSION}).`,
      cause: error,
      hint: 'Upgrade it once with `runwarden db migrate --database-url URL`.',
    });
  }
  if (code === '55P03') {
    return new CoordinationError({
      code: 'ERR_STORE_BUSY',
      message: `Another writer held the target's row at ${place.where} for longer than the lock timeout.`,
      cause: error,
      hint: 'Retry; a writer that holds a row this long is stuck.',
    });
  }
  if (code === '28P01' || code === '28000') {
    return new CoordinationError({
      code: 'ERR_DATABASE_UNREACHABLE',
      message: `PostgreSQL at ${place.where} refused the login: ${message}.`,
      cause: error,
      hint: 'Check the user and password in the connection URL.',
    });
  }
  return new CoordinationError({
    code: 'ERR_DATABASE',
    message: `PostgreSQL at ${place.where}: ${message}`,
    cause: error,
  });
}

/**
 * The URL for messages: host, port and database, never the password.
 *
 * @param url - a libpq connection URL.
 * @returns e.g. `db.example:5432/fleet`.
 */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return `${host}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname || ''}`;
  } catch {
    return 'the configured URL';
  }
}
