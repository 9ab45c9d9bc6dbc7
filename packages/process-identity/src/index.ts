export { cimCommand, parseCimDate, parseCimProcesses, powershellPath } from './cim-table.js';
export type { CommandSpec } from './command.js';
export { ProcessIdentityError, type ProcessIdentityErrorCode } from './errors.js';
export { currentTicks, getHostFacts, type HostFacts } from './host-facts.js';
export {
  type CaptureIdentityOptions,
  captureIdentity,
  type IdentityStatus,
  type IdentityVerdict,
  judgeIdentity,
  type ObservedProcess,
  type ProcessIdentity,
  processIdentitySchema,
  RUN_ID_ENV,
  verifyIdentity,
} from './identity.js';
export { type ProcStat, parseProcStat, splitNul } from './proc-stat.js';
export {
  descendantsOf,
  type EnvironRead,
  getProcessInfo,
  getProcessInfoSync,
  type ListProcessesOptions,
  listProcesses,
  listProcessesSync,
  type ProcessInfo,
  processTableCommand,
  readEnvironVariable,
  type TablePlatform,
} from './process-table.js';
export { PS_COLUMNS, PS_PATH, parsePsTable, psCommand } from './ps-table.js';
export { splitWindowsCommandLine } from './windows-command-line.js';
