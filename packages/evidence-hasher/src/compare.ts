import type { EvidenceEntry } from './walk.js';
import { sortEntries } from './walk.js';

/**
 * What `verify` says about one path:
 * - `ok`: the same as recorded;
 * - `modified`: a file's content (digest or size) or a symlink's target differs;
 * - `missing`: recorded, no longer there;
 * - `extra`: there, not recorded;
 * - `type-changed`: a file became a directory, a symlink, …;
 * - `mode-changed`: the same content, the execute bit flipped;
 * - `unreadable`: cannot be read now, or could not be when recorded (no digest to compare);
 * - `unstable`: kept changing while read now, or when recorded.
 */
export type EntryStatus =
  | 'ok'
  | 'modified'
  | 'missing'
  | 'extra'
  | 'type-changed'
  | 'mode-changed'
  | 'unreadable'
  | 'unstable';

/** Every {@link EntryStatus}, in the order reports list them. */
export const ENTRY_STATUSES: readonly EntryStatus[] = [
  'ok',
  'modified',
  'missing',
  'extra',
  'type-changed',
  'mode-changed',
  'unreadable',
  'unstable',
];

/** One line of a verify report. */
export interface EntryReport {
  path: string;
  status: EntryStatus;
  /** The recorded entry (absent for `extra`). */
  expected?: EvidenceEntry;
  /** The entry found now (absent for `missing`). */
  actual?: EvidenceEntry;
}

/**
 * Decides the status of one path from what was recorded and what is there
 * now: a pure function, tested as a truth table.
 *
 * @param expected The recorded entry, or `undefined` when the path was not recorded.
 * @param actual The entry found now, or `undefined` when the path is gone.
 * @returns The status.
 */
export function compareEntry(
  expected: EvidenceEntry | undefined,
  actual: EvidenceEntry | undefined,
): EntryStatus {
  if (!expected && !actual) return 'ok';
  if (!expected) return 'extra';
  if (!actual) return 'missing';
  if (expected.type !== actual.type) return 'type-changed';
  if (actual.status) return actual.status;
  if (expected.status) return expected.status;
  switch (expected.type) {
    case 'file':
      if (expected.sha256 !== actual.sha256 || expected.size !== actual.size) return 'modified';
      return expected.exec !== actual.exec ? 'mode-changed' : 'ok';
    case 'symlink':
      return expected.linkTarget !== actual.linkTarget ? 'modified' : 'ok';
    default:
      return 'ok';
  }
}

/**
 * Compares a recorded list with the list found now, path by path.
 *
 * @param expected The recorded entries.
 * @param actual The entries found now.
 * @returns One report per path in either list, sorted by UTF-8 bytes.
 */
export function compareTrees(
  expected: readonly EvidenceEntry[],
  actual: readonly EvidenceEntry[],
): EntryReport[] {
  const now = new Map(actual.map((entry) => [entry.path, entry]));
  const reports: EntryReport[] = [];
  for (const entry of expected) {
    const found = now.get(entry.path);
    now.delete(entry.path);
    const report: EntryReport = {
      path: entry.path,
      status: compareEntry(entry, found),
      expected: entry,
    };
    if (found) report.actual = found;
    reports.push(report);
  }
  for (const found of now.values())
    reports.push({ path: found.path, status: 'extra', actual: found });
  return sortEntries(reports);
}

/**
 * Counts reports by status.
 *
 * @param reports The reports.
 * @returns A count for every status (zeros included).
 */
export function countStatuses(reports: readonly EntryReport[]): Record<EntryStatus, number> {
  const counts = Object.fromEntries(ENTRY_STATUSES.map((status) => [status, 0])) as Record<
    EntryStatus,
    number
  >;
  for (const report of reports) counts[report.status]++;
  return counts;
}
