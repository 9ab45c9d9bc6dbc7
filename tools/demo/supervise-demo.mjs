#!/usr/bin/env node
// The README's supervisor demo: tools/demo/runwarden.yaml runs two fake-agent
// loops; the builder dies twice, is resumed, and writes ## DONE; the supervisor
// then stops both loops, writes the evidence of the whole period and exits 0.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'apps', 'supervisor', 'dist', 'cli.js');
const config = join(root, 'tools', 'demo', 'runwarden.yaml');
const work = join(root, '.runtime', 'supervise-demo');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true, mode: 0o700 });

process.stderr.write(
  'supervise-demo: two loops from tools/demo/runwarden.yaml; the builder crashes twice, is resumed,\n' +
    'supervise-demo: then writes ## DONE to plan.md, and the supervisor stops both loops.\n\n',
);
const supervisor = spawn(process.execPath, [cli, 'start', '--config', config], {
  stdio: 'inherit',
});
const status = setTimeout(() => {
  process.stderr.write('\nsupervise-demo: $ runwarden-supervisor status\n');
  spawnSync(process.execPath, [cli, 'status', '--config', config], { stdio: 'inherit' });
  process.stderr.write('\n');
}, 2500);
supervisor.on('exit', (code) => {
  clearTimeout(status);
  process.stderr.write(`\nsupervise-demo: the supervisor exited ${code}\n`);
  process.exitCode = code ?? 1;
});
