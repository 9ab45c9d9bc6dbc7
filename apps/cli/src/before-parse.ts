import type { Command } from 'commander';

/** Adds what a command needs a package for: options whose help text or parser reads the package's constants. */
export type Prepare = (command: Command) => Promise<void>;

const preparers = new WeakMap<Command, Prepare>();

/**
 * Defers part of a command's definition until it is the command run (or the
 * one whose help is printed): options whose help text or parser reads a
 * package's constants (the store flags read `DATABASE_URL_ENV`, `--format`
 * reads `EVIDENCE_FORMATS`). The command loads that package anyway; the
 * others, and `runwarden --help`, then load none of it.
 *
 * @param command - a command of the program.
 * @param prepare - adds the deferred options.
 * @returns the command.
 */
export function beforeParse(command: Command, prepare: Prepare): Command {
  preparers.set(command, prepare);
  return command;
}

/**
 * Runs the deferred parts ({@link beforeParse}) of the commands the
 * arguments name, before commander parses them: the command, its
 * subcommand, and the command after `help` (`runwarden help claim`,
 * `runwarden evidence help hash`). No command here takes an option before
 * the name of its subcommand, so the names are the first words.
 *
 * @param program - the `runwarden` program.
 * @param args - the arguments after the script (`process.argv.slice(2)`).
 */
export async function prepareInvoked(program: Command, args: readonly string[]): Promise<void> {
  let command = program;
  for (const word of args) {
    if (word === '--') return;
    if (word.startsWith('-')) continue;
    if (word === 'help' && command.commands.length > 0) continue;
    const next = command.commands.find(
      (sub) => sub.name() === word || sub.aliases().includes(word),
    );
    if (!next) return;
    const prepare = preparers.get(next);
    if (prepare) {
      preparers.delete(next);
      await prepare(next);
    }
    command = next;
  }
}
