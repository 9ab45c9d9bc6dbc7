#!/usr/bin/env node
// The `runwarden` command. It is a file of the repository (not of the build),
// so `pnpm install` can link it on a fresh clone before `dist/` is built.
import '../dist/cli.js';
