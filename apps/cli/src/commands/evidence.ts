import { relative } from 'node:path';
import {
  collectEntriesAsync,
  EVIDENCE_FORMATS,
  EvidenceError,
  type EvidenceFormat,
  escapeSumsName,
  type HashProgress,
  renderEvidence,
  verifyEvidence,
  writeEvidenceAsync,
} from '@runwarden/evidence-hasher';
import { EXIT_CODES } from '@runwarden/watchdog';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { CliError, usage } from '../errors.js';
import { colors, say } from '../output.js';

/**
 * Reasons of the evidence commands. Besides DESIGN.md's table:
 * `EVIDENCE_MISMATCH` (exit 1: verify found a difference, like `sha256sum -c`)
 * and `EVIDENCE_INCOMPLETE` (exit 1: hash wrote evidence, but some entries
 * were unreadable or unstable, like `sha256sum` on an unreadable file).
 */
export type EvidenceReason =
  | 'OK'
  | 'EVIDENCE_MISMATCH'
  | 'EVIDENCE_INCOMPLETE'
  | 'USAGE'
  | 'INVALID_STATE';

const EVIDENCE_EXIT: Record<EvidenceReason, number> = {
  OK: EXIT_CODES.OK,
  EVIDENCE_MISMATCH: 1,
  EVIDENCE_INCOMPLETE: 1,
  USAGE: EXIT_CODES.USAGE,
  INVALID_STATE: EXIT_CODES.INVALID_STATE,
};

function printResult(reason: EvidenceReason, data: Record<string, unknown>): number {
  const exitCode = EVIDENCE_EXIT[reason];
  process.stdout.write(
    `${JSON.stringify({ ok: reason === 'OK', reason, exitCode, ...data }, null, 2)}\n`,
  );
  return exitCode;
}

/**
 * Whether to draw a progress bar: only on a terminal, never with `--json`,
 * in CI, or on a dumb terminal (the bar itself waits a second before it
 * appears, so quick hashes print nothing).
 *
 * @param facts What the process knows about its output.
 * @returns True to draw.
 */
export function shouldShowProgress(facts: {
  isTTY: boolean;
  json: boolean;
  ci: boolean;
  term: string | undefined;
}): boolean {
  return facts.isTTY && !facts.json && !facts.ci && facts.term !== 'dumb';
}

/** Delay before the bar appears, in ms: hashing that ends sooner prints no bar. */
export const PROGRESS_DELAY_MS = 1000;

/** A progress bar (cli-progress) on stderr that appears once hashing has taken {@link PROGRESS_DELAY_MS}. */
function startProgress(enabled: boolean): {
  onProgress: (progress: HashProgress) => void;
  stop: () => void;
} {
  if (!enabled) return { onProgress: () => undefined, stop: () => undefined };
  const MiB = 1024 * 1024;
  let latest: HashProgress | undefined;
  let bar: SingleBar | undefined;
  const started = Date.now();
  // Shown from a timer, or from a progress report once the delay has passed
  // (a report may arrive while the event loop is busy hashing).
  const show = () => {
    if (bar) return;
    bar = new SingleBar({
      stream: process.stderr,
      format: `${colors.dim('runwarden ▸')} hashing {bar} {percentage}% | {value}/{total} MiB | {files}/{filesTotal} files | {speed} MiB/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
    });
    bar.start(latest ? Math.ceil(latest.bytesTotal / MiB) : 0, 0, {
      files: 0,
      filesTotal: latest?.filesTotal ?? 0,
      speed: 0,
    });
  };
  const timer = setTimeout(show, PROGRESS_DELAY_MS);
  timer.unref();
  return {
    onProgress(progress) {
      latest = progress;
      if (!bar && Date.now() - started >= PROGRESS_DELAY_MS) show();
      if (!bar) return;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.setTotal(Math.ceil(progress.bytesTotal / MiB));
      bar.update(Math.floor(progress.bytesDone / MiB), {
        files: progress.filesDone,
        filesTotal: progress.filesTotal,
        speed: Math.round(progress.bytesDone / MiB / seconds),
      });
    },
    stop() {
      clearTimeout(timer);
      bar?.stop();
    },
  };
}

/** A progress bar on a terminal only: never with `--json`, in CI, or on a dumb terminal. */
function progressFor(json: boolean) {
  return startProgress(
    shouldShowProgress({
      isTTY: Boolean(process.stderr.isTTY),
      json,
      ci: Boolean(process.env.CI),
      term: process.env.TERM,
    }),
  );
}

/**
 * Parses `--format sums,json` (commas, repeatable) into formats, each once.
 *
 * @param values The raw option values.
 * @returns The formats in the order given, or `undefined` when none were given.
 * @throws {CliError} `USAGE` naming an unknown format.
 */
export function parseFormats(values: string[] | undefined): EvidenceFormat[] | undefined {
  if (!values || values.length === 0) return undefined;
  const formats = values.flatMap((value) => value.split(',')).map((value) => value.trim());
  for (const format of formats) {
    if (!(EVIDENCE_FORMATS as readonly string[]).includes(format))
      throw usage(`--format: unknown format "${format}" (use ${EVIDENCE_FORMATS.join(', ')})`);
  }
  return [...new Set(formats)] as EvidenceFormat[];
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function evidenceFailure(error: unknown): unknown {
  if (!EvidenceError.isInstance(error)) return error;
  if (error.code === 'ERR_EVIDENCE_MANIFEST')
    return new CliError('INVALID_STATE', error.message, error.hint, { path: error.path });
  if (error.code === 'ERR_EVIDENCE_ROOT' || error.code === 'ERR_EVIDENCE_OUTPUT')
    return new CliError('USAGE', error.message, error.hint, { path: error.path });
  return error;
}

interface HashFlags {
  out?: string;
  format?: string[];
  exclude?: string[];
  json?: boolean;
}

async function hashCommand(rootArgument: string, flags: HashFlags): Promise<number> {
  const formats = parseFormats(flags.format);
  const json = flags.json ?? false;
  if (!flags.out && formats && formats.length > 1)
    throw usage('--format: without --out, name one format to print (or add --out DIR)');
  if (!flags.out && formats && json)
    throw usage('--format prints a document and --json the result object: add --out DIR');
  const progress = progressFor(json);
  const started = performance.now();
  try {
    if (!flags.out) {
      const entries = await collectEntriesAsync(rootArgument, {
        exclude: flags.exclude,
        onProgress: progress.onProgress,
      });
      progress.stop();
      const rendered = renderEvidence(entries, { sumsPathFromRoot: 'SHA256SUMS' });
      const incomplete = rendered.statement.predicate.evidence.incomplete;
      const reason: EvidenceReason = incomplete.length > 0 ? 'EVIDENCE_INCOMPLETE' : 'OK';
      if (json)
        return printResult(reason, {
          root: rootArgument,
          durationMs: Math.round(performance.now() - started),
          incomplete,
          collisions: rendered.statement.predicate.evidence.collisions,
          manifest: rendered.manifest,
        });
      process.stdout.write(rendered.texts[formats?.[0] ?? 'sums']);
      for (const entry of incomplete)
        say(colors.yellow(`${entry.status}: ${escapeSumsName(entry.path)}`));
      return EVIDENCE_EXIT[reason];
    }
    const result = await writeEvidenceAsync(rootArgument, {
      outDir: flags.out,
      formats,
      exclude: flags.exclude,
      onProgress: progress.onProgress,
    });
    progress.stop();
    const { manifest } = result;
    const summary = result.statement.predicate.evidence;
    const reason: EvidenceReason = summary.incomplete.length > 0 ? 'EVIDENCE_INCOMPLETE' : 'OK';
    const durationMs = Math.round(performance.now() - started);
    if (json)
      return printResult(reason, {
        root: result.checkFrom,
        written: result.written,
        rootDigest: manifest.rootDigest,
        rootSha256: manifest.rootSha256,
        fileCount: manifest.fileCount,
        totalBytes: manifest.totalBytes,
        durationMs,
        incomplete: summary.incomplete,
        collisions: summary.collisions,
      });
    say(
      `hashed ${manifest.fileCount} file${manifest.fileCount === 1 ? '' : 's'} (${manifest.totalBytes} bytes) in ${(durationMs / 1000).toFixed(2)} s: ${colors.bold(manifest.rootDigest)}`,
    );
    for (const path of result.written) say(`wrote ${shown(path)}`);
    for (const entry of summary.incomplete)
      say(colors.yellow(`${entry.status}: ${escapeSumsName(entry.path)} (no digest recorded)`));
    for (const group of summary.collisions)
      say(
        colors.yellow(
          `names equal ${group.kind === 'nfc' ? 'after NFC normalisation' : 'ignoring case'}: ${group.paths.map(escapeSumsName).join(', ')}`,
        ),
      );
    if (result.written.includes(result.sumsPath))
      say(
        `check it: ${colors.cyan(`(cd ${shown(result.checkFrom)} && sha256sum -c ${relative(result.checkFrom, result.sumsPath)})`)}`,
      );
    return EVIDENCE_EXIT[reason];
  } catch (error) {
    throw evidenceFailure(error);
  } finally {
    progress.stop();
  }
}

interface VerifyFlags {
  root?: string;
  json?: boolean;
}

async function verifyCommand(target: string, flags: VerifyFlags): Promise<number> {
  const json = flags.json ?? false;
  const progress = progressFor(json);
  let report: Awaited<ReturnType<typeof verifyEvidence>>;
  try {
    report = await verifyEvidence(target, { root: flags.root, onProgress: progress.onProgress });
  } catch (error) {
    throw evidenceFailure(error);
  } finally {
    progress.stop();
  }
  const reason: EvidenceReason = report.ok ? 'OK' : 'EVIDENCE_MISMATCH';
  if (json)
    return printResult(reason, {
      manifestPath: report.manifestPath,
      root: report.root,
      rootDigest: report.rootDigest,
      documents: report.documents,
      counts: report.counts,
      problems: report.problems,
      entries: report.entries.map((entry) => ({ path: entry.path, status: entry.status })),
    });
  const width = Math.max(...report.entries.map((entry) => entry.status.length), 0);
  for (const entry of report.entries)
    if (entry.status !== 'ok')
      process.stdout.write(`${entry.status.padEnd(width)}  ${escapeSumsName(entry.path)}\n`);
  for (const problem of report.problems)
    process.stdout.write(
      `${problem.document}: ${problem.path !== undefined ? `${escapeSumsName(problem.path)}: ` : ''}${problem.message}\n`,
    );
  const counts = Object.entries(report.counts)
    .filter(([status, count]) => status !== 'ok' && count > 0)
    .map(([status, count]) => `${count} ${status}`);
  if (report.ok)
    say(
      `${colors.green(colors.bold('OK'))}: ${report.entries.length} entries match ${report.rootDigest.recorded}`,
    );
  else
    say(
      `${colors.red(colors.bold('EVIDENCE_MISMATCH'))} (exit 1): ${[...counts, report.problems.length > 0 ? `${report.problems.length} document problems` : ''].filter(Boolean).join(', ')}`,
    );
  return EVIDENCE_EXIT[reason];
}

/**
 * Adds `runwarden evidence hash` and `runwarden evidence verify` to the program.
 *
 * @param program The `runwarden` program.
 * @param exit Where each action stores its exit code.
 */
export function registerEvidenceCommands(program: Command, exit: { code: number }): void {
  const evidence = program
    .command('evidence')
    .description('hash a tree into evidence anyone can check with sha256sum -c, and verify it')
    .addHelpText(
      'after',
      `
Example:
  $ runwarden evidence hash artifacts --out artifacts/evidence
  $ runwarden evidence verify artifacts/evidence`,
    );
  evidence
    .command('hash')
    .description(
      'hash ROOT: write SHA256SUMS, manifest.json, an in-toto statement and a review packet into --out, or print one format',
    )
    .argument('<root>', 'the directory to hash')
    .option('--out <dir>', 'write the evidence documents into this directory')
    .addOption(
      new Option(
        '--format <formats...>',
        `documents to write (with --out) or the one to print (default sums): ${EVIDENCE_FORMATS.join(', ')}`,
      ),
    )
    .option('--exclude <paths...>', 'relative paths to leave out')
    .option('--json', 'print one JSON object with ok, reason, exitCode and the data')
    .addHelpText(
      'after',
      `
Example:
  $ runwarden evidence hash artifacts --out artifacts/evidence
  $ (cd artifacts && sha256sum -c evidence/SHA256SUMS)
  $ runwarden evidence hash . --format md > REVIEW.md`,
    )
    .action(async (root: string, flags: HashFlags) => {
      exit.code = await hashCommand(root, flags);
    });
  evidence
    .command('verify')
    .description(
      'check evidence against itself and the tree: ok, modified, missing, extra, type-changed, mode-changed, unreadable, unstable',
    )
    .argument('<evidence>', 'an evidence directory or its manifest.json')
    .option('--root <dir>', "the tree to check (default: the manifest's root)")
    .option('--json', 'print one JSON object with ok, reason, exitCode and the data')
    .addHelpText(
      'after',
      `
Example:
  $ runwarden evidence verify .runtime/runs/20260101-120000-abc123/evidence
  $ runwarden evidence verify --json artifacts/evidence/manifest.json`,
    )
    .action(async (target: string, flags: VerifyFlags) => {
      exit.code = await verifyCommand(target, flags);
    });
}
