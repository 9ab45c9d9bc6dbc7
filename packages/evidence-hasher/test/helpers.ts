import { type ChildProcess, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuiltPackageCopy, copyBuiltPackage, spawnLineReader } from '@runwarden/test-utils';
import { afterAll } from 'vitest';

/** The built package; tests that run it in another process (as another user) need `pnpm build` first. */
export const distEntry = join(import.meta.dirname, '..', 'dist', 'index.js');

let readableCopy: BuiltPackageCopy | undefined;
/**
 * The built package copied where any user can read it (the checkout may sit
 * in a directory only its owner may enter), once per test file.
 */
function readableEntry(): string {
  readableCopy ??= copyBuiltPackage(join(import.meta.dirname, '..'));
  return readableCopy.entry;
}
afterAll(() => readableCopy?.remove());

/** True when this process runs as root (where mode 000 does not stop reads). */
export const isRoot = process.getuid?.() === 0;

/** A fresh temp dir, world-traversable so a test can read it as `nobody`. */
export function tempTree(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * Runs `script` (an ES module body with `api` = the built package) in a Node
 * process as `nobody` (via `setpriv`) when we are root, or as ourselves
 * otherwise, and returns what it printed as JSON. Dropping privileges is the
 * honest way to meet EACCES as root: root's CAP_DAC_OVERRIDE reads mode 000.
 * As `nobody` it imports a world-readable copy of the package ({@link copyBuiltPackage}).
 */
export function runUnprivileged(script: string): unknown {
  if (!existsSync(distEntry)) throw new Error(`${distEntry} is missing: run pnpm build first`);
  const entry = isRoot ? readableEntry() : distEntry;
  const code = `const api = await import(${JSON.stringify(entry)});\n${script}`;
  const node = [process.execPath, '--input-type=module', '-e', code];
  const command = isRoot
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node]
    : node;
  const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`child failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * Starts a process that appends to `path` in a tight loop and resolves once
 * it has appended for the first time.
 */
export async function startAppender(path: string): Promise<ChildProcess> {
  const appender = spawnLineReader(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs');
       fs.appendFileSync(${JSON.stringify(path)}, 'x');
       process.stdout.write('appending\\n');
       for (;;) fs.appendFileSync(${JSON.stringify(path)}, 'x');`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await appender.next();
  if (line === '<exit>') throw new Error(`appender exited early (${appender.child.exitCode})`);
  return appender.child;
}

/** Ends a child we started and waits for it. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** `sh -c` in `cwd`, returning stdout; throws with stderr when it fails. */
export function shell(command: string, cwd: string): string {
  const result = spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`${command} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}
