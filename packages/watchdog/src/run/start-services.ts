import { WATCHDOG_DEFAULTS } from '../defaults.js';
import { startService } from '../service.js';
import { waitReady } from '../service-ready.js';
import { describeExit } from './death.js';
import { announceStop, type RunEnd, stoppedEnd } from './finish.js';
import type { RunContext } from './run-context.js';

/**
 * Starts the run's services one after the other, each waited for until
 * ready; a ready service that dies later stops the run `service-failed`.
 *
 * @param context - the run.
 * @returns `undefined` when every service is ready; else how the run ends
 *   (`SERVICE_FAILED` for one that died before it was ready, `STARTUP_TIMEOUT`
 *   for one never ready, or the stop that came meanwhile).
 */
export async function startServices(context: RunContext): Promise<RunEnd | undefined> {
  const { settings } = context;
  for (const [index, spec] of (context.options.services ?? []).entries()) {
    const service = startService(spec, {
      index,
      cwd: settings.cwd,
      env: settings.baseEnv,
      runId: settings.runId,
      runDir: settings.runDir,
      rotation: context.options.logs,
    });
    context.services.push(service);
    context.emit('service-started', {
      name: service.name,
      pid: service.pid,
      ...(service.identity ? { startTicks: service.identity.startTicks } : {}),
      command: spec.command,
      args: spec.args ?? [],
    });
    const outcome = await waitReady(service, spec, context.stop.signal);
    if (outcome.ready) {
      context.emit('service-ready', {
        name: service.name,
        waitedMs: outcome.waitedMs,
        via: outcome.via,
      });
      service.exited.then(({ code, signal }) => {
        if (context.stop.isFinishing) return;
        context.emit(
          'service-died',
          { name: service.name, pid: service.pid, code, signal },
          'SERVICE_FAILED',
        );
        context.stop.request('service-failed', service.name);
      });
      continue;
    }
    if (outcome.why === 'died') {
      const { code, signal } = await service.exited;
      context.emit(
        'service-died',
        { name: service.name, pid: service.pid, code, signal, beforeReady: true },
        'SERVICE_FAILED',
      );
      return {
        reason: 'SERVICE_FAILED',
        message: `Service ${service.name} exited before it was ready (${describeExit(code, signal)}); see service-${service.name}.log.`,
      };
    }
    if (outcome.why === 'aborted') {
      announceStop(context);
      return stoppedEnd(context);
    }
    const limitMs = spec.startupTimeoutMs ?? WATCHDOG_DEFAULTS.service.startupTimeoutMs;
    context.emit(
      'timeout',
      { what: 'service-startup', limitMs, service: service.name, lastProbe: outcome.detail },
      'STARTUP_TIMEOUT',
    );
    return {
      reason: 'STARTUP_TIMEOUT',
      message: `Service ${service.name} was not ready within ${limitMs} ms (last probe: ${outcome.detail}).`,
    };
  }
  return undefined;
}
