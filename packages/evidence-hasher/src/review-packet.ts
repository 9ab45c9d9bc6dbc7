import { type CollisionGroup, findCollisions } from './collisions.js';
import { type EvidenceManifest, escapeSumsName } from './formats.js';
import type { RunPredicate } from './in-toto.js';
import type { EvidenceEntry } from './walk.js';

/**
 * A Markdown code span for a table cell: the name as `sha256sum` shows it
 * (`\`, newline, CR escaped), `|` escaped for GitHub-flavoured tables, and a
 * fence longer than any run of backticks inside (CommonMark §6.1).
 *
 * @param text Any text.
 * @returns The code span.
 */
export function markdownCode(text: string): string {
  if (!/[\\\n\r|`]/.test(text) && !text.startsWith(' ') && !text.endsWith(' '))
    return `\`${text}\``;
  const shown = escapeSumsName(text).replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || shown.startsWith(' ') || shown.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

function describeType(entry: EvidenceEntry): string {
  switch (entry.type) {
    case 'file':
      return entry.exec ? 'file, executable' : 'file';
    case 'symlink':
      return entry.linkTarget !== undefined
        ? `symlink → ${markdownCode(entry.linkTarget)}`
        : 'symlink';
    case 'dir':
      return 'dir';
    default:
      return 'other (not read)';
  }
}

function digestCell(entry: EvidenceEntry): string {
  if (entry.status) return `**${entry.status}**`;
  return entry.sha256 ? `\`${entry.sha256}\`` : '';
}

/** Options for {@link formatReviewPacket}. */
export interface ReviewPacketOptions {
  /**
   * The run's data, shown above the table.
   * @default none
   */
  run?: RunPredicate;
  /**
   * Where `SHA256SUMS` lies relative to the root, for the "check it" line.
   * @default 'evidence/SHA256SUMS'
   */
  sumsPathFromRoot?: string;
  /**
   * The manifest's collision groups, when already computed.
   * @default computed with `findCollisions`
   */
  collisions?: CollisionGroup[];
}

/**
 * The Markdown review packet: the run (when given), the root digest, the
 * coreutils command that checks it, and one table row per entry (path, type,
 * size, SHA-256 or its status) in the manifest's order: the "Evidence
 * Package" table of a review packet, with no "Pending" rows.
 *
 * @param manifest The manifest.
 * @param options The run's data and where `SHA256SUMS` lies.
 * @returns The Markdown text, ending in a newline.
 */
export function formatReviewPacket(
  manifest: EvidenceManifest,
  options: ReviewPacketOptions = {},
): string {
  const lines: string[] = ['# Evidence review packet', ''];
  const run = options.run;
  const rows: [string, string][] = [];
  if (run) {
    if (run.runId !== undefined) rows.push(['Run', markdownCode(run.runId)]);
    if (run.command) rows.push(['Command', markdownCode(run.command.join(' '))]);
    if (run.reason !== undefined)
      rows.push([
        'Result',
        `${markdownCode(run.reason)}${run.exitCode !== undefined ? ` (exit ${run.exitCode})` : ''}`,
      ]);
    if (run.startedAt) rows.push(['Started', run.startedAt]);
    if (run.finishedAt) rows.push(['Finished', run.finishedAt]);
    if (run.durationMs !== undefined)
      rows.push(['Duration', `${(run.durationMs / 1000).toFixed(3)} s`]);
    if (run.attempts !== undefined)
      rows.push([
        'Attempts',
        `${run.attempts}${run.resumes !== undefined ? ` (${run.resumes} resumes)` : ''}`,
      ]);
    const timeouts = Object.entries(run.timeouts ?? {}).filter(([, value]) => value !== undefined);
    if (timeouts.length > 0)
      rows.push(['Timeouts', timeouts.map(([name, value]) => `${name} ${value} ms`).join(', ')]);
    for (const process of run.processes ?? [])
      rows.push([
        `Process${process.role ? ` (${process.role})` : ''}`,
        `pid ${process.pid}${process.startTimeMs !== undefined ? `, started ${new Date(process.startTimeMs).toISOString()}` : ''}${process.hostname ? ` on ${markdownCode(process.hostname)}` : ''}`,
      ]);
  }
  rows.push(['Root digest', `\`${manifest.rootDigest}\``]);
  rows.push(['Root SHA-256', `\`${manifest.rootSha256}\``]);
  rows.push(['Files', `${manifest.fileCount} (${manifest.totalBytes} bytes)`]);
  const incomplete = manifest.entries.filter((entry) => entry.status);
  if (incomplete.length > 0)
    rows.push([
      'Not verifiable',
      incomplete.map((entry) => `${markdownCode(entry.path)} (${entry.status})`).join(', '),
    ]);
  const collisions =
    options.collisions ?? findCollisions(manifest.entries.map((entry) => entry.path));
  for (const group of collisions)
    rows.push([
      group.kind === 'nfc' ? 'Names equal after NFC' : 'Names equal ignoring case',
      group.paths.map(markdownCode).join(', '),
    ]);
  lines.push('| | |', '| :--- | :--- |');
  for (const [name, value] of rows) lines.push(`| ${name} | ${value} |`);
  lines.push(
    '',
    `Check it with coreutils alone, from the root: \`sha256sum -c ${options.sumsPathFromRoot ?? 'evidence/SHA256SUMS'}\``,
    '',
    '| Path | Type | Size (bytes) | SHA-256 |',
    '| :--- | :--- | ---: | :--- |',
  );
  for (const entry of manifest.entries) {
    lines.push(
      `| ${markdownCode(entry.path)} | ${describeType(entry)} | ${entry.type === 'file' ? entry.size : ''} | ${digestCell(entry)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
