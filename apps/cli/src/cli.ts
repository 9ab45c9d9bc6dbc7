import { EXIT_CODES } from '@runwarden/watchdog';
import { Command, CommanderError } from 'commander';
import { prepareInvoked } from './before-parse.js';
import type { CodeCacheEntry } from './code-cache.js';
import { register as registerClaim } from './commands/claim/index.js';
import { register as registerDb } from './commands/db/index.js';
import { register as registerEvidence } from './commands/evidence/index.js';
import { register as registerKill } from './commands/kill/index.js';
import { register as registerLogs } from './commands/logs/index.js';
import { register as registerOwner } from './commands/owner/index.js';
import { register as registerRelease } from './commands/release/index.js';
import { register as registerRun } from './commands/run/index.js';
import { register as registerRuns } from './commands/runs/index.js';
import { register as registerSignal } from './commands/signal/index.js';
import { register as registerStatus } from './commands/status/index.js';
import { register as registerTargets } from './commands/targets/index.js';
import { CliError } from './errors.js';
import type { ExitCode } from './exit-code.js';
import { toCliError } from './failure.js';
import { usageLine } from './flags.js';
import { colors, printJson } from './output.js';
import { guardOutput } from './safe-output.js';
import { packageVersion } from './version.js';

/** Registers one command (its flags, their parsers and help) on the program. */
type Register = (program: Command, exit: ExitCode) => void;

/**
 * Each command's register, under the names (and aliases) it registers, in
 * the order `runwarden --help` lists them. A test checks the names against
 * what each register declares.
 */
export const COMMANDS: readonly (readonly [names: readonly string[], register: Register])[] = [
  [['run'], registerRun],
  [['status'], registerStatus],
  [['logs'], registerLogs],
  [['kill'], registerKill],
  [['runs', 'ls'], registerRuns],
  [['claim'], registerClaim],
  [['release'], registerRelease],
  [['owner'], registerOwner],
  [['signal'], registerSignal],
  [['targets'], registerTargets],
  [['db'], registerDb],
  [['evidence'], registerEvidence],
];

/**
 * Builds the `runwarden` program: each command registers itself (its flags,
 * their parsers and help) from its folder under `commands/`, and loads its
 * work only when it runs. When the first argument names a command
 * (`runwarden status --json`), only that command is registered: parsing it,
 * its errors and its `--help` need no other, and a start is spared building
 * the other eleven (about 2 ms, on Node 20 as on Node 24). Anything else
 * (`runwarden --help`, `runwarden help run`, a mistyped command, which
 * commander answers with the nearest name) gets them all.
 *
 * @param exit - where each action stores its exit code.
 * @param args - the arguments after the script (`process.argv.slice(2)`). @default [] (every command)
 * @returns the program, to parse.
 */
export function buildProgram(exit: ExitCode, args: readonly string[] = []): Command {
  const program = new Command('runwarden')
    .description(
      'Keep long-running autonomous runs safe: one run at a time, a watchdog, a clean kill and evidence.',
    )
    .version(packageVersion())
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(`runwarden: ${usageLine(text)}\n`),
    });
  const first = args[0];
  const named = COMMANDS.find(([names]) => first !== undefined && names.includes(first));
  for (const [, register] of named ? [named] : COMMANDS) register(program, exit);
  return program;
}

/**
 * Runs the CLI: parses `argv`, runs the command, and maps what it throws to
 * DESIGN.md's exit table (one line on stderr, or the one `--json` object).
 * It never throws; the bin (`bin/runwarden.cjs`) sets the exit code.
 *
 * @param argv - `process.argv`: node, the script, then the arguments. @default process.argv
 * @returns the exit code.
 */
export async function main(argv: string[] = process.argv): Promise<number> {
  // Our own output never throws: EPIPE after `| head -1`, EIO from a closed terminal.
  guardOutput();
  const exit: ExitCode = { code: 0 };
  const wantsJson = argv.includes('--json');
  try {
    const args = argv.slice(2);
    const program = buildProgram(exit, args);
    await prepareInvoked(program, args);
    await program.parseAsync(argv);
    return exit.code;
  } catch (raw) {
    if (raw instanceof CommanderError) {
      if (
        raw.code === 'commander.helpDisplayed' ||
        raw.code === 'commander.version' ||
        raw.code === 'commander.help'
      )
        return 0;
      if (wantsJson) printJson('USAGE', { message: usageLine(raw.message) });
      return EXIT_CODES.USAGE;
    }
    const error = toCliError(raw);
    if (CliError.isInstance(error)) {
      if (wantsJson)
        printJson(error.reason, { message: error.message, hint: error.hint, ...error.data });
      else {
        process.stderr.write(
          `runwarden: ${error.reason === 'USAGE' ? '' : `${colors.red(error.reason)}: `}${error.message}\n`,
        );
        if (error.hint) process.stderr.write(`runwarden: ${colors.dim(error.hint)}\n`);
      }
      return EXIT_CODES[error.reason];
    }
    const message = raw instanceof Error ? (raw.stack ?? raw.message) : String(raw);
    if (wantsJson) printJson('INTERNAL', { message: String((raw as Error)?.message ?? raw) });
    else
      process.stderr.write(
        `runwarden: INTERNAL: ${message}\nrunwarden: this is a bug; please report it (NODE_OPTIONS=--enable-source-maps gives a readable trace).\n`,
      );
    return EXIT_CODES.INTERNAL;
  }
}

/**
 * Saves the code cache of the command that just ran, for the bin
 * (`bin/runwarden.cjs`) to start it from next time; see `saveCodeCache` in
 * `code-cache.ts` for the file and its checks. Only a command name or alias
 * of {@link COMMANDS}, or `program`, gets a file. Loaded only when a cache is
 * written (the first start of a command after an install or an upgrade).
 *
 * @param entry - the cache file, the command's key, the bundle and V8's data.
 * @returns once written or left out; it never rejects.
 */
export async function saveCodeCache(entry: CodeCacheEntry): Promise<void> {
  const { saveCodeCache: save } = await import('./code-cache.js');
  save(entry, new Set(['program', ...COMMANDS.flatMap(([names]) => names)]));
}
