export {
  ProcessIdentityError,
  type ProcessIdentityErrorCode,
  type ProcessIdentityErrorOptions,
} from './errors.js';
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
