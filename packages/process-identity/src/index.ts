export { ProcessIdentityError, type ProcessIdentityErrorCode } from './errors.js';
export { getHostFacts, type HostFacts } from './host-facts.js';
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
  readEnvironVariable,
} from './process-table.js';
