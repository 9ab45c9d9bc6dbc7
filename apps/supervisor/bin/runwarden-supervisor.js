#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// The `runwarden-supervisor` command. It is a file of the repository (not of
// the build), so `pnpm install` can link it on a fresh clone before `dist/` is built.
//
// The flags are V8's and work only on the command line (v8.setFlagsFromString
// is too late for them): a supervisor idles for days with 20 watchdogs
// ticking, so a 1 MB young generation (instead of one that grows to 8 MB of
// garbage between scavenges) and V8's size-over-speed heuristics keep its
// RSS about 5 MB lower; `start --detach` passes them on to the daemon.
import '../dist/cli.js';
