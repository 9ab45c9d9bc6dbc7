import type { Command } from 'commander';
import { beforeParse } from '../../before-parse.js';
import type { ExitCode } from '../../exit-code.js';
import { jsonOption } from '../../flags.js';
import type { HashFlags } from './hash-command.js';
import type { VerifyFlags } from './verify-command.js';

/**
 * Registers `runwarden evidence hash` and `runwarden evidence verify`; their
 * work loads only when they run.
 *
 * @param program - the `runwarden` program.
 * @param exit - where each action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
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
  const hash = evidence
    .command('hash')
    .description(
      'hash ROOT: write SHA256SUMS, manifest.json, an in-toto statement and a review packet into --out, or print one format',
    )
    .argument('<root>', 'the directory to hash')
    .option('--out <dir>', 'write the evidence documents into this directory')
    .option('--exclude <paths...>', 'relative paths to leave out')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Example:
  $ runwarden evidence hash artifacts --out artifacts/evidence
  $ (cd artifacts && sha256sum -c evidence/SHA256SUMS)
  $ runwarden evidence hash . --format md > REVIEW.md`,
    )
    .action(async (root: string, flags: HashFlags) => {
      const { hashCommand } = await import('../evidence-actions.js');
      exit.code = await hashCommand(root, flags);
    });
  beforeParse(hash, async () => {
    hash.addOption((await import('../evidence-actions.js')).formatOption());
  });
  evidence
    .command('verify')
    .description(
      'check evidence against itself and the tree: ok, modified, missing, extra, type-changed, mode-changed, unreadable, unstable',
    )
    .argument('<evidence>', 'an evidence directory or its manifest.json')
    .option('--root <dir>', "the tree to check (default: the manifest's root)")
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Example:
  $ runwarden evidence verify .runtime/runs/20260101-120000-123-abc123/evidence
  $ runwarden evidence verify --json artifacts/evidence/manifest.json`,
    )
    .action(async (target: string, flags: VerifyFlags) => {
      const { verifyCommand } = await import('../evidence-actions.js');
      exit.code = await verifyCommand(target, flags);
    });
}
