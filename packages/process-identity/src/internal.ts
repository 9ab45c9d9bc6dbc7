// `@runwarden/process-identity/internal`: the platform readers and parsers
// behind the public API, for runwarden's own packages and tests. No stability promise.
export { cimCommand, parseCimDate, parseCimProcesses, powershellPath } from './cim-table.js';
export type { CommandSpec } from './command.js';
export { type ProcStat, parseProcStat, readProcStat, splitNul } from './proc-stat.js';
export { processTableCommand, type TablePlatform } from './process-table.js';
export { PS_COLUMNS, PS_PATH, parsePsTable, psCommand } from './ps-table.js';
export { splitWindowsCommandLine } from './windows-command-line.js';
