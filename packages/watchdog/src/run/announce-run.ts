import type { RunContext } from './run-context.js';

/**
 * Writes the run's first events: `started` with what it runs and by which
 * limits, then a `warning` (also in the result's `warnings`) when the DONE
 * file was there before the run started.
 *
 * @param context - the run.
 */
export function announceRun(context: RunContext): void {
  const { options, settings, state } = context;
  context.emit('started', {
    command: options.command,
    args: options.args ?? [],
    cwd: settings.cwd,
    pid: process.pid,
    missionTimeoutMs: settings.missionTimeoutMs,
    idleTimeoutMs: settings.limits.idleTimeoutMs,
    startupIdleMs: settings.limits.startupIdleMs,
    progressIdleMs: settings.limits.progressIdleMs,
    maxResumes: settings.policy.maxResumes,
    doneFile: options.doneFile,
    doneMarker: options.doneMarker,
    checkCommand: options.checkCommand,
    watch: context.watcher.sources,
    services: (options.services ?? []).map(
      (service, index) => service.name ?? `service-${index + 1}`,
    ),
    adoptedPid: context.adopted?.pid,
    lockFencingToken: context.lock?.fencingToken,
    resumeOn: settings.policy.resumeOn,
    ...(options.labels ? { labels: options.labels } : {}),
  });
  const doneFile = context.doneFileWatch;
  if (doneFile?.presentAtStart) {
    const message = `The DONE file ${options.doneFile} was there before the run started (modified ${doneFile.modifiedAtStart}); it counts only once it is written again.`;
    state.warnings.push(message);
    context.emit('warning', {
      what: 'done-file-present',
      path: settings.doneFile,
      modifiedAt: doneFile.modifiedAtStart,
      message,
    });
  }
}
