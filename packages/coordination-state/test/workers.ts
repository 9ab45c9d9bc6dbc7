/** Runs a test worker script in its own Node.js process. */
import { spawn } from 'node:child_process';

/**
 * Runs `script` with its settings as one JSON argument, and reads the last
 * line it prints as JSON.
 *
 * @param script - the worker's path.
 * @param settings - passed as `process.argv[2]`.
 * @returns what the worker printed last, parsed.
 * @throws an error with the worker's stderr when it exits non-zero.
 */
export function runJsonWorker<T>(script: string, settings: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(settings)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as T);
    });
  });
}
