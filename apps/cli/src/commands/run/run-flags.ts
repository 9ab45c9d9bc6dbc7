import type { ResumeRule } from '@runwarden/watchdog';
import type { StoreFlags } from '../../store-options.js';

/**
 * Flags of `runwarden run`, as commander parsed them (durations in ms, sizes
 * in bytes); the ones with a default in `WATCHDOG_DEFAULTS` are always set.
 */
export interface RunFlags extends StoreFlags {
  target?: string;
  targetLease?: number;
  missionTimeout?: number;
  idleTimeout: number;
  startupTimeout?: number;
  progressTimeout?: number;
  watch?: string[];
  heartbeatFile?: string;
  maxResumes: number;
  resumeOn?: ResumeRule[];
  resumeCmd?: string;
  doneFile?: string;
  doneMarker?: string;
  checkCmd?: string;
  /** A pattern, or `true` for a bare `--quota-pattern` (the agent CLIs' usage-limit messages). */
  quotaPattern?: string | true;
  quotaWait: number;
  service?: string;
  readyUrl?: string;
  readyPort?: number;
  readyTimeout: number;
  connectTimeout: number;
  readTimeout: number;
  adopt?: number;
  logMaxSize: number;
  logBackups: number;
  backoffInitial: number;
  backoffMax: number;
  killGrace: number;
  json?: boolean;
}

/** The flag each watchdog option comes from (list indexes dropped: `services.0.readyUrl` is `services.readyUrl`). */
const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  command: 'the command',
  missionTimeoutMs: '--mission-timeout',
  idleTimeoutMs: '--idle-timeout',
  startupIdleMs: '--startup-timeout',
  progressIdleMs: '--progress-timeout',
  watch: '--watch',
  heartbeatFile: '--heartbeat-file',
  maxResumes: '--max-resumes',
  resumeOn: '--resume-on',
  resume: '--resume-cmd',
  doneFile: '--done-file',
  doneMarker: '--done-marker',
  checkCommand: '--check-cmd',
  quota: '--quota-pattern',
  'quota.pattern': '--quota-pattern',
  'quota.fallbackPauseMs': '--quota-wait',
  services: '--service',
  'services.command': '--service',
  'services.readyUrl': '--ready-url',
  'services.readyPort': '--ready-port',
  'services.startupTimeoutMs': '--ready-timeout',
  'services.connectTimeoutMs': '--connect-timeout',
  'services.readTimeoutMs': '--read-timeout',
  adopt: '--adopt',
  'logs.maxBytes': '--log-max-size',
  'logs.backups': '--log-backups',
  'backoff.initialMs': '--backoff-initial',
  'backoff.maxMs': '--backoff-max',
  killGraceMs: '--kill-grace',
};

/**
 * The flag a watchdog option (as `WatchdogError.option` names it) came from,
 * for one-line USAGE messages.
 *
 * @param option - the option's path, e.g. `services.0.readyUrl`.
 * @returns the flag, e.g. `--ready-url`, or the option itself when no flag sets it.
 */
export function flagOfOption(option: string): string {
  const path = option
    .split('.')
    .filter((part) => !/^\d+$/.test(part))
    .join('.');
  for (let key = path; key !== ''; key = key.slice(0, Math.max(0, key.lastIndexOf('.')))) {
    const flag = FLAG_OF_OPTION[key];
    if (flag) return flag;
  }
  return option;
}
