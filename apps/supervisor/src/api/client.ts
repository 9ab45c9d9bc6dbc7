import { readFileSync } from 'node:fs';
import { inspect } from '@runwarden/lock-core';
import { SupervisorError } from '../errors.js';
import type { StatePaths } from '../state.js';

/** A client of the running supervisor's API. */
export interface ApiClient {
  url: string;
  pid: number;
  /**
   * Sends one request with the bearer token.
   *
   * @param method - `GET` or `POST`.
   * @param path - e.g. `/runs`.
   * @param timeoutMs - how long the answer may take. @default 60000 (a loop's stop waits for its tree)
   * @returns the status and the JSON body.
   * @throws {SupervisorError} `ERR_API` when the supervisor cannot be reached or does not answer in time.
   */
  request(
    method: 'GET' | 'POST',
    path: string,
    timeoutMs?: number,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** How long a request may take: a loop's stop waits for its tree to end (60 s). */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Finds the running supervisor of a state directory: `supervisor/api.json`
 * names it, and its pid must be the live holder of `SUPERVISOR.lock` (a file
 * a dead supervisor left is not believed), as `pm2` finds its daemon.
 *
 * @param paths - the state paths.
 * @returns the client, or `undefined` when no supervisor runs there.
 */
export function connect(paths: StatePaths): ApiClient | undefined {
  let api: { url: string; pid: number };
  let token: string;
  try {
    api = JSON.parse(readFileSync(paths.apiFile, 'utf8'));
    token = readFileSync(paths.tokenFile, 'utf8').trim();
  } catch {
    return undefined;
  }
  const lock = inspect(paths.supervisorLock);
  if (lock.holderVerdict?.status !== 'alive' || lock.holder?.holder.pid !== api.pid)
    return undefined;
  return {
    url: api.url,
    pid: api.pid,
    async request(method, path, timeoutMs = REQUEST_TIMEOUT_MS) {
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
        throw new SupervisorError(
          'ERR_API',
          'INTERNAL',
          `The supervisor (pid ${api.pid}) did not answer at ${api.url}: ${(error as Error).message}`,
          {
            cause: error,
            hint: 'Is it stalled? runwarden-supervisor status reads the state files too.',
          },
        );
      }
    },
  };
}
