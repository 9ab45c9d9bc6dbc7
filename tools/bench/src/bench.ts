#!/usr/bin/env node
/**
 * `pnpm bench [--quick] [--only <prefix>]`: runs every package's benchmark
 * beside its peers in one process run, prints one `BENCH` line per measure and
 * writes the same to `bench/results.json`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Bench, formatLine, type Measure, meets, round } from './harness.js';
import { actionClaimsBench } from './measures/action-claims.js';
import { cliBench } from './measures/cli.js';
import { coordinationStateBench } from './measures/coordination-state.js';
import { evidenceHasherBench } from './measures/evidence-hasher.js';
import { killTreeBench } from './measures/kill-tree.js';
import { lockCoreBench } from './measures/lock-core.js';
import { processIdentityBench } from './measures/process-identity.js';
import { supervisorBench } from './measures/supervisor.js';
import { supervisorApiBench } from './measures/supervisor-api.js';
import { watchdogBench } from './measures/watchdog.js';

const benches: Record<string, Bench> = {
  cli: cliBench,
  'process-identity': processIdentityBench,
  'kill-tree': killTreeBench,
  'lock-core': lockCoreBench,
  'coordination-state': coordinationStateBench,
  watchdog: watchdogBench,
  'evidence-hasher': evidenceHasherBench,
  supervisor: supervisorBench,
  'supervisor-api': supervisorApiBench,
  'action-claims': actionClaimsBench,
};

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
  strict: true,
});
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const workDir = mkdtempSync(join(tmpdir(), 'runwarden-bench-'));
const measures: Measure[] = [];
try {
  for (const [name, bench] of Object.entries(benches)) {
    if (values.only && !name.startsWith(values.only)) continue;
    process.stderr.write(`bench: ${name}…\n`);
    measures.push(...(await bench({ quick: values.quick ?? false, workDir })));
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
for (const measure of measures) {
  process.stdout.write(`${formatLine(measure)}${measure.notes ? `  # ${measure.notes}` : ''}\n`);
}
const results = measures.map((measure) => {
  const ratio = measure.ours / measure.peer.value;
  return {
    ...measure,
    ours: round(measure.ours),
    ratio: round(ratio),
    pass: meets(ratio, measure.target, measure.ours),
  };
});
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results.json'),
  `${JSON.stringify({ quick: values.quick ?? false, node: process.version, results }, null, 2)}\n`,
);
