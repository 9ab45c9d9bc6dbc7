import { readFileSync } from 'node:fs';

/**
 * The version of the installed `runwarden` package, read from its
 * `package.json` beside `dist/` (so it is the version changesets wrote, never
 * a copy that drifts).
 *
 * @param packageJsonUrl - where `package.json` is. @default `../package.json` from this module
 * @returns the version, or `unknown` when the file cannot be read.
 */
export function packageVersion(
  packageJsonUrl: URL = new URL('../package.json', import.meta.url),
): string {
  try {
    const { version } = JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
