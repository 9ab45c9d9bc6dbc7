import type { Command } from 'commander';
import { registerClaim } from './claim.js';
import { registerDb } from './db.js';
import { registerOwner } from './owner.js';
import { registerRelease } from './release.js';
import { registerSignal } from './signal.js';
import { registerTargets } from './targets.js';

/** Registers the coordination commands: claim, release, owner, signal, targets, db migrate. */
export function registerCoordinationCommands(program: Command, exit: { code: number }): void {
  registerClaim(program, exit);
  registerRelease(program, exit);
  registerOwner(program, exit);
  registerSignal(program, exit);
  registerTargets(program, exit);
  registerDb(program, exit);
}
