import { inspect } from '@runwarden/lock-core';
import { SUPERVISOR_DEFAULTS } from '../defaults.js';
import { SupervisorError } from '../errors.js';
import { readStateFile } from '../state-files.js';
import type { StatePaths } from '../state-paths.js';

/** A client of the running supervisor's API. */
export interface ApiClient {
  url: string;
  pid: number;
  /**
   * Sends one request with the bearer token.
   *
   * @param method - `GET` or `POST`.
   * @param path - e.g. `/runs`.
   * @param timeoutMs - how long the answer may take. @default SUPERVISOR_DEFAULTS.requestTimeoutMs (60 s: a loop's stop waits for its tree)
   * @returns the status and the JSON body.
   * @throws {SupervisorError} `ERR_API` when the supervisor cannot be reached or does not answer in time.
   */
  request(
    method: 'GET' | 'POST',
    path: string,
    timeoutMs?: number,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
}

/**
 * What `supervisor/api.json` says: the running supervisor's URL and pid.
 *
 * @param paths - the state paths.
 * @returns the URL and pid, or `undefined` when the file is missing or not (yet) whole JSON.
 * @throws {SupervisorError} `ERR_STATE` (exit 7) when it is a symlink, a FIFO or past the bound.
 */
export function readApiFile(paths: StatePaths): { url: string; pid: number } | undefined {
  const text = readStateFile(paths.apiFile);
  if (text === undefined) return undefined;
  try {
    const api = JSON.parse(text) as { url?: unknown; pid?: unknown };
    return typeof api.url === 'string' && typeof api.pid === 'number'
      ? { url: api.url, pid: api.pid }
      : undefined;
  } catch {
    return undefined; // being written
  }
}

/**
 * The API's bearer token, `supervisor/api.token`.
 *
 * @param paths - the state paths.
 * @returns the token, or `undefined` when there is none.
 * @throws {SupervisorError} `ERR_STATE` (exit 7) when it is a symlink, a FIFO or past the bound.
 */
export function readApiToken(paths: StatePaths): string | undefined {
  return readStateFile(paths.tokenFile)?.trim() || undefined;
}

/**
 * Finds the running supervisor of a state directory: `supervisor/api.json`
 * names it, and its pid must be the live holder of `SUPERVISOR.lock` (a file
 * a dead supervisor left is not believed), as `pm2` finds its daemon. Both
 * files are read by the safe-fs rule.
 *
 * @param paths - the state paths.
 * @returns the client, or `undefined` when no supervisor runs there.
 * @throws {SupervisorError} `ERR_STATE` (exit 7) when `api.json` or `api.token` is a symlink, a FIFO or too large.
 */
export function connect(paths: StatePaths): ApiClient | undefined {
  const api = readApiFile(paths);
  const token = api ? readApiToken(paths) : undefined;
  if (!api || token === undefined) return undefined;
  const lock = inspect(paths.supervisorLock);
  if (lock.holderVerdict?.status !== 'alive' || lock.holder?.holder.pid !== api.pid)
    return undefined;
  return {
    url: api.url,
    pid: api.pid,
    async request(method, path, timeoutMs = SUPERVISOR_DEFAULTS.requestTimeoutMs) {
      try {
        const response = await fetch(`${api.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(timeoutMs),
        });
        return {
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        };
      } catch (error) {
        throw new SupervisorError({
          code: 'ERR_API',
          reason: 'INTERNAL',
          message: `The supervisor (pid ${api.pid}) did not answer at ${api.url}: ${(error as Error).message}`,
          cause: error,
          hint: 'Is it stalled? runwarden-supervisor status reads the state files too.',
        });
      }
    },
  };
}
