import { hasMarker, mark } from '@runwarden/error-marker';
import type { ReasonCode } from '@runwarden/watchdog';

const supervisorName = 'SupervisorError';
const supervisorMarker = `runwarden.supervisor.error.${supervisorName}`;
const configName = 'ConfigError';
const configMarker = `runwarden.supervisor.error.${configName}`;

/** Stable codes for {@link SupervisorError}. */
export type SupervisorErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_HELD'
  | 'ERR_STATE'
  | 'ERR_NO_SUPERVISOR'
  | 'ERR_UNKNOWN_LOOP'
  | 'ERR_API';

/** Options of {@link SupervisorError}: everything it carries, in one object. */
export interface SupervisorErrorOptions {
  /** The stable code. */
  code: SupervisorErrorCode;
  /** The reason code the CLI exits with (DESIGN.md's table). */
  reason: ReasonCode;
  /** One line for people. */
  message: string;
  /** What to do next, for people. @default none */
  hint?: string;
  /** The error behind it (kept as `cause`). @default none */
  cause?: unknown;
  /** Extra data for `--json`. @default {} */
  data?: Record<string, unknown>;
}

/**
 * The base error of `runwarden-supervisor`; the CLI prints its message and
 * exits with the code of its {@link ReasonCode} (DESIGN.md's table).
 *
 * - `ERR_CONFIG`: the config or a flag is invalid (`USAGE`, exit 64); see {@link ConfigError}.
 * - `ERR_HELD`: another supervisor runs on the state directory (`LOCK_HELD`, exit 5).
 * - `ERR_STATE`: a state file is corrupt or unsafe (`INVALID_STATE`, exit 7); it is kept as it is.
 * - `ERR_NO_SUPERVISOR`: the command needs a running supervisor and none runs (`INVALID_STATE`, exit 7).
 * - `ERR_UNKNOWN_LOOP`: no loop of that name (`USAGE`, exit 64).
 * - `ERR_API`: the running supervisor's API refused or failed (`INTERNAL`, exit 70, or its own reason).
 */
export class SupervisorError extends Error {
  override readonly name: string = supervisorName;
  readonly code: SupervisorErrorCode;
  /** The reason code the CLI exits with. */
  readonly reason: ReasonCode;
  /** What to do next, for people. */
  readonly hint: string | undefined;
  /** Extra data for `--json`. */
  readonly data: Record<string, unknown>;

  /**
   * @param options - code, reason, message, and optionally hint, cause and data.
   */
  constructor(options: SupervisorErrorOptions) {
    super(options.message, { cause: options.cause });
    mark(this, supervisorMarker); // used in isInstance
    this.code = options.code;
    this.reason = options.reason;
    this.hint = options.hint;
    this.data = options.data ?? {};
  }

  /**
   * True when `error` is a `SupervisorError` (or a subclass) from any copy of this app.
   *
   * @param error - anything caught.
   * @returns whether it is one.
   */
  static isInstance(error: unknown): error is SupervisorError {
    return hasMarker(error, supervisorMarker);
  }
}

/** Options of {@link ConfigError}. */
export interface ConfigErrorOptions {
  /** The config file. */
  file: string;
  /** 1-based line of the offending key or value. @default none (the file could not be read) */
  line?: number;
  /** The dotted key, e.g. `loops.builder.run.idleTimeout`. @default none */
  key?: string;
  /** What is wrong, for people. */
  detail: string;
  /** The error behind it. @default none */
  cause?: unknown;
}

/** An invalid config: the file, the line and the key, one line for people (`USAGE`, exit 64). */
export class ConfigError extends SupervisorError {
  override readonly name = configName;
  /** The config file. */
  readonly file: string;
  /** 1-based line of the offending key or value; `undefined` when the file could not be read. */
  readonly line: number | undefined;
  /** The dotted key, e.g. `loops.builder.run.idleTimeout`. */
  readonly key: string | undefined;

  /**
   * @param options - the file, line, key, the detail, and the cause.
   */
  constructor(options: ConfigErrorOptions) {
    const where = options.line !== undefined ? `${options.file}:${options.line}` : options.file;
    super({
      code: 'ERR_CONFIG',
      reason: 'USAGE',
      message: `${where}: ${options.key ? `${options.key}: ` : ''}${options.detail}`,
      cause: options.cause,
      data: { file: options.file, line: options.line, key: options.key },
    });
    mark(this, configMarker); // used in isInstance
    this.file = options.file;
    this.line = options.line;
    this.key = options.key;
  }

  /**
   * True when `error` is a `ConfigError` from any copy of this app (a base
   * {@link SupervisorError} is not one).
   *
   * @param error - anything caught.
   * @returns whether it is one.
   */
  static override isInstance(error: unknown): error is ConfigError {
    return hasMarker(error, configMarker);
  }
}
