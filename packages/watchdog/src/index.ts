export { type BackoffOptions, backoffDelayMs } from './backoff.js';
export {
  Journal,
  type JournalEvent,
  type JournalEventType,
  journalEventSchema,
  journalEventTypes,
  readJournal,
} from './journal.js';
export { EXIT_CODES, exitCodeFor, type ReasonCode } from './reasons.js';
export {
  type CommandSpec,
  newRunId,
  type RunResult,
  type SuperviseOptions,
  superviseRun,
} from './supervise.js';
