import type { Plugin } from 'esbuild';

/** commander's file that requires `node:child_process` at its top. */
const COMMANDER_COMMAND = /[\\/]commander[\\/]lib[\\/]command\.js$/;

/**
 * An esbuild plugin for the CLI's bundle: commander's `node:child_process`
 * loads on first use instead of when commander loads.
 *
 * Why: commander requires `node:child_process` at the top of
 * `lib/command.js` for one feature (stand-alone executable subcommands,
 * `childProcess.spawn` in `_executeSubCommand`) that runwarden does not use.
 * That built-in pulls in `net`, `dgram`, streams and their bindings: about
 * 2 ms of every `runwarden --help` and `runwarden status` on Node 20 and
 * 1.5 ms on Node 24 (median of 60 alternating runs, with and without this
 * plugin). What commander gets instead is a CommonJS module whose every
 * property is read from the real built-in when it is first asked for
 * (`process.getBuiltinModule`, Node >= 20.16), so commander works as before
 * if it ever spawns.
 *
 * @returns the plugin.
 */
export function lazyChildProcess(): Plugin {
  return {
    name: 'runwarden-lazy-child-process',
    setup(build) {
      build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
        COMMANDER_COMMAND.test(args.importer)
          ? { path: 'child_process', namespace: 'runwarden-lazy-child-process' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'runwarden-lazy-child-process' }, () => ({
        loader: 'js',
        contents:
          "module.exports = new Proxy({}, { get: (_, key) => process.getBuiltinModule('node:child_process')[key] });",
      }));
    },
  };
}
