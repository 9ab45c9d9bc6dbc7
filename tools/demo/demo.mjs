#!/usr/bin/env node
// The README's demo: a supervised fake-agent run that hangs, is detected,
// is resumed, completes, and leaves evidence. Uses a fresh state directory
// under .runtime/demo so it never touches a real run's lock.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'apps', 'cli', 'bin', 'runwarden.cjs');
const agent = join(root, 'tools', 'fake-agent', 'dist', 'fake-agent.js');
const demoDir = join(root, '.runtime', 'demo');
rmSync(demoDir, { recursive: true, force: true });
mkdirSync(demoDir, { recursive: true, mode: 0o700 });
const rel = (path) => relative(process.cwd(), path) || '.';

process.stderr.write(
  'demo: an agent that hangs silently after 2 turns in its first life; runwarden sees the silence,\n' +
    'demo: ends the tree, resumes it, and the agent writes DONE after 4 turns in total.\n\n',
);
const result = spawnSync(
  process.execPath,
  [
    cli,
    'run',
    '--state-dir',
    join(demoDir, 'state'),
    '--idle-timeout',
    '2s',
    '--max-resumes',
    '3',
    '--done-file',
    rel(join(demoDir, 'DONE')),
    '--',
    process.execPath,
    rel(agent),
    '--state',
    rel(join(demoDir, 'agent-progress.json')),
    '--turns',
    '10',
    '--turn-ms',
    '200',
    '--hang-after',
    '2',
    '--hang-on-life',
    '1',
    '--done-file',
    rel(join(demoDir, 'DONE')),
    '--done-after',
    '4',
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 70);
