#!/usr/bin/env node
// Runs a command (turbo) with RUNWARDEN_TEST_NODE_VERSION set to this Node.js
// version. turbo.json hashes RUNWARDEN_TEST_* into the test tasks, so a result
// cached under one Node.js version is never replayed under another (turbo does
// not hash the runtime itself: vercel/turborepo#4124).
import { spawnSync } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: node tools/with-node-version.mjs COMMAND [ARGS...]\n');
  process.exit(64);
}
const result = spawnSync(command, args, {
  stdio: 'inherit',
  env: { ...process.env, RUNWARDEN_TEST_NODE_VERSION: process.version },
  shell: process.platform === 'win32',
});
if (result.error) {
  process.stderr.write(`with-node-version: ${command}: ${result.error.message}\n`);
  process.exit(70);
}
process.exit(result.status ?? 1);
