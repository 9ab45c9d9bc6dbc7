import type { ReasonCode } from '@runwarden/watchdog';

const marker = Symbol.for('runwarden.supervisor.error');
const configMarker = Symbol.for('runwarden.supervisor.config-error');

/** Stable codes for {@link SupervisorError}. */
export type SupervisorErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_HELD'
  | 'ERR_STATE'
  | 'ERR_NO_SUPERVISOR'
  | 'ERR_UNKNOWN_LOOP'
  | 'ERR_API';

/**
 * The one error type of `runwarden-supervisor`; the CLI prints its message
 * and exits with the code of its {@link ReasonCode} (DESIGN.md's table).
 *
 * - `ERR_CONFIG`: the config is invalid (`USAGE`, exit 64); see {@link ConfigError}.
 * - `ERR_HELD`: another supervisor runs on the state directory (`LOCK_HELD`, exit 5).
 * - `ERR_STATE`: a state file is corrupt or unsafe (`INVALID_STATE`, exit 7); it is kept as it is.
 * - `ERR_NO_SUPERVISOR`: the command needs a running supervisor and none runs (`INVALID_STATE`, exit 7).
 * - `ERR_UNKNOWN_LOOP`: no loop of that name (`USAGE`, exit 64).
 * - `ERR_API`: the running supervisor's API refused or failed (`INTERNAL`, exit 70, or its own reason).
 */
export class SupervisorError extends Error {
  override readonly name: string = 'SupervisorError';
  readonly code: SupervisorErrorCode;
  /** The reason code the CLI exits with. */
  readonly reason: ReasonCode;
  /** What to do next, for people. */
  readonly hint: string | undefined;
  /** Extra data for `--json`. */
  readonly data: Record<string, unknown>;

  /**
   * @param code - the stable code.
   * @param reason - the reason code the CLI exits with.
   * @param message - one line for people.
   * @param options - `hint`, `cause` (kept) and `data` for `--json`.
   */
  constructor(
    code: SupervisorErrorCode,
    reason: ReasonCode,
    message: string,
    options: { hint?: string; cause?: unknown; data?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    Object.defineProperty(this, marker, { value: true });
    this.code = code;
    this.reason = reason;
    this.hint = options.hint;
    this.data = options.data ?? {};
  }

  /**
   * True when `error` is a `SupervisorError` (or subclass) from any copy of this app.
   *
   * @param error - anything caught.
   * @returns whether it is one.
   */
  static isInstance(error: unknown): error is SupervisorError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

/** An invalid config: the file, the line and the key, one line for people (`USAGE`, exit 64). */
export class ConfigError extends SupervisorError {
  override readonly name = 'ConfigError';
  /** The config file. */
  readonly file: string;
  /** 1-based line of the offending key or value; `undefined` when the file could not be read. */
  readonly line: number | undefined;
  /** The dotted key, e.g. `loops.builder.run.idleTimeout`. */
  readonly key: string | undefined;

  /**
   * @param options - the file, line, key, the detail, and the cause.
   */
  constructor(options: {
    file: string;
    line?: number;
    key?: string;
    detail: string;
    cause?: unknown;
  }) {
    const where = options.line !== undefined ? `${options.file}:${options.line}` : options.file;
    super(
      'ERR_CONFIG',
      'USAGE',
      `${where}: ${options.key ? `${options.key}: ` : ''}${options.detail}`,
      {
        cause: options.cause,
        data: { file: options.file, line: options.line, key: options.key },
      },
    );
    Object.defineProperty(this, configMarker, { value: true });
    this.file = options.file;
    this.line = options.line;
    this.key = options.key;
  }

  /**
   * True when `error` is a `ConfigError` from any copy of this app.
   *
   * @param error - anything caught.
   * @returns whether it is one.
   */
  static override isInstance(error: unknown): error is ConfigError {
    return typeof error === 'object' && error !== null && configMarker in error;
  }
}
