import { resolve } from 'node:path';
import {
  type CoordinationStore,
  DATABASE_URL_ENV,
  FileStore,
  type OperationConflict,
  PostgresStore,
} from '@runwarden/coordination-state';
import { usage } from './errors.js';
import { toCliError } from './failure.js';
import { ensureStateDir, resolveStateDir, statePaths } from './state-dir.js';
import type { StoreFlags } from './store-options.js';

/**
 * Why a PostgreSQL URL cannot be used, before any connection is tried: it
 * must be a `postgres://` or `postgresql://` URL (RFC 3986, as libpq reads
 * it), with a port from 1 to 65535 when one is given.
 *
 * @param url - the URL as given.
 * @returns the reason, or `undefined` when it is a usable URL.
 */
export function databaseUrlProblem(url: string): string | undefined {
  if (!/^postgres(ql)?:\/\//i.test(url))
    return `'${redactUrl(url)}' is not a postgres:// or postgresql:// URL (e.g. postgres://user@host:5432/db)`;
  const port = /^postgres(?:ql)?:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d*)(?:[/?#]|$)/i.exec(
    url,
  )?.[1];
  if (port !== undefined && port !== '' && (Number(port) < 1 || Number(port) > 65535))
    return `port ${port} in '${redactUrl(url)}' is out of range (1 to 65535)`;
  try {
    new URL(url);
  } catch {
    return `'${redactUrl(url)}' is not a valid URL`;
  }
  return undefined;
}

/** A URL as it may be printed: the password replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/?#]*:)[^@/?#]*@/i, '$1***@');
}

/**
 * The database a URL names, for people and the journal: `host:port/db`, no user or password.
 *
 * @param url - a valid PostgreSQL URL.
 * @returns e.g. `127.0.0.1:5432/fleet`.
 */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return `${host}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname || ''}`;
  } catch {
    return 'the configured database';
  }
}

/**
 * Checks the store flags without opening anything, so a bad flag is exit 64
 * before a run takes its lock: the store kind, contradictory flags, and a
 * malformed PostgreSQL URL (with the reason).
 *
 * @param flags - the store flags.
 * @throws {CliError} `USAGE` with the reason.
 */
export function checkStoreFlags(flags: StoreFlags): void {
  const kind = flags.store ?? (flags.databaseUrl ? 'postgres' : 'file');
  if (kind !== 'postgres') return;
  const url = flags.databaseUrl ?? process.env[DATABASE_URL_ENV];
  const problem = url ? databaseUrlProblem(url) : undefined;
  if (problem)
    throw usage(`${flags.databaseUrl ? '--database-url' : `$${DATABASE_URL_ENV}`}: ${problem}`);
}

/**
 * Opens the store the flags name: `--store postgres` (or a `--database-url`)
 * opens a {@link PostgresStore} on `--database-url` or `$RUNWARDEN_DATABASE_URL`;
 * otherwise a {@link FileStore} on `--coordination-dir` or `<state-dir>/coordination`.
 *
 * @throws {CliError} `USAGE` for contradictory or missing flags, or a malformed URL (with the reason).
 */
export function openCoordinationStore(flags: StoreFlags): {
  store: CoordinationStore;
  kind: 'file' | 'postgres';
  where: string;
  /** For PostgreSQL: the database, `host:port/db` (no secrets). */
  database?: string;
} {
  const kind = flags.store ?? (flags.databaseUrl ? 'postgres' : 'file');
  if (kind !== 'file' && kind !== 'postgres') {
    throw usage(`--store: '${kind}' is not one of file, postgres`);
  }
  if (kind === 'postgres') {
    if (flags.coordinationDir) {
      throw usage('--coordination-dir is for the file store; drop it or use --store file');
    }
    const url = flags.databaseUrl ?? process.env[DATABASE_URL_ENV];
    if (!url) {
      throw usage(`--store postgres needs --database-url URL or $${DATABASE_URL_ENV}`);
    }
    const problem = databaseUrlProblem(url);
    if (problem)
      throw usage(`${flags.databaseUrl ? '--database-url' : `$${DATABASE_URL_ENV}`}: ${problem}`);
    const store = new PostgresStore({ connectionString: url });
    return { store, kind, where: 'postgres', database: describeDatabase(url) };
  }
  if (flags.databaseUrl) throw usage('--database-url is for --store postgres');
  let directory: string;
  if (flags.coordinationDir) directory = resolve(flags.coordinationDir);
  else {
    // The state directory first (0700, no symlink, its .gitignore): the store lives inside it.
    const stateDir = resolveStateDir(flags.stateDir);
    ensureStateDir(stateDir);
    directory = statePaths(stateDir).coordination;
  }
  return { store: new FileStore({ directory }), kind, where: directory };
}

/** The run id of a command: `--run-id`, else `$RUNWARDEN_RUN_ID` (set inside `runwarden run`). */
export function runIdOf(flag: string | undefined, command: string): string {
  const runId = flag ?? process.env.RUNWARDEN_RUN_ID;
  if (!runId || runId.trim() === '') {
    throw usage(`${command} needs --run-id ID (or $RUNWARDEN_RUN_ID)`);
  }
  return runId.trim();
}

/** The data of a conflict, for `--json` and the human line. */
export function conflictData(conflict: OperationConflict): Record<string, unknown> {
  const { ok: _ok, ...rest } = conflict;
  return { ...rest, status: conflict.error };
}

/** Runs `work` with the store open, closes it, and maps store errors to the exit table. */
export async function withStore<T>(
  flags: StoreFlags,
  work: (opened: ReturnType<typeof openCoordinationStore>) => Promise<T>,
): Promise<T> {
  const opened = openCoordinationStore(flags);
  try {
    return await work(opened);
  } catch (error) {
    throw toCliError(error);
  } finally {
    await opened.store.close().catch(() => undefined);
  }
}
