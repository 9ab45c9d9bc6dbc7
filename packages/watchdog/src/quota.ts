/**
 * Quota (usage-limit) detection: a pattern over the dead attempt's last lines
 * turns a death into a scheduled pause, at the reset time the message gives
 * when it gives one. Pure functions with an injected clock and UTC offset.
 */

/**
 * A pattern for the usage-limit messages of the agent CLIs in the field
 * (Claude Code's `Claude AI usage limit reached|<epoch>` and `5-hour limit
 * reached ∙ resets 3pm`, Codex's `You've hit your usage limit … try again in
 * 2 hours`, HTTP 429 `Too Many Requests`, Gemini's `RESOURCE_EXHAUSTED`, plain
 * `rate limit reached` / `quota exceeded`). Case-insensitive. The reset time,
 * when present, is read from the matched line by {@link parseResetTime}.
 */
export const AGENT_QUOTA_PATTERN =
  /usage limit|limit reached|hit your (?:usage )?limit|rate[ -]limit(?:ed| reached| exceeded)|quota exceeded|exceeded your (?:current )?quota|resource_exhausted|too many requests|try again (?:in|at) /i;

/** A quota message found in output. */
export interface QuotaMatch {
  /** The matching line, trimmed (at most 500 characters). */
  line: string;
  /** The text that carries the reset time: the pattern's `reset` named group, else the whole line. */
  resetText: string;
}

/**
 * Looks for a quota message in the last lines of an attempt, newest first.
 *
 * @param lines - output lines, oldest first.
 * @param pattern - the quota pattern; a named group `reset` marks where the reset time is.
 * @returns the newest matching line, or `undefined`.
 */
export function findQuotaMessage(
  lines: readonly string[],
  pattern: RegExp,
): QuotaMatch | undefined {
  const matcher = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!;
    const match = matcher.exec(line);
    if (match) {
      const trimmed = line.trim().slice(0, 500);
      return { line: trimmed, resetText: match.groups?.reset ?? trimmed };
    }
  }
  return undefined;
}

/**
 * The UTC offset of an IANA time zone at an instant, in minutes east of UTC,
 * from the runtime's `Intl` data.
 *
 * @param timeZone - e.g. `Europe/Berlin`.
 * @param atMs - the instant, Unix ms.
 * @returns the offset, or `undefined` for a zone the runtime does not know.
 */
export function zoneOffsetMinutes(timeZone: string, atMs: number): number | undefined {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }).formatToParts(new Date(atMs));
  } catch {
    return undefined;
  }
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return Math.round((asUtc - Math.floor(atMs / 1000) * 1000) / 60_000);
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000 };

/** Options for {@link parseResetTime}. */
export interface ParseResetOptions {
  /** Now, Unix ms. */
  nowMs: number;
  /**
   * The local UTC offset in minutes east of UTC, for times of day and
   * date-times without a zone.
   * @default the runtime's offset at `nowMs`
   */
  utcOffsetMinutes?: number;
}

/**
 * Reads when a quota resets from a message. Understood, in this order:
 *
 * - a Unix time in seconds or ms (`usage limit reached|1767225600`);
 * - an ISO 8601 date-time (`resets at 2026-11-26T15:00:00Z`; no zone = local);
 * - a relative time (`try again in 2 hours 5 minutes`, `in 1h30m`, `in 45s`);
 * - a time of day after `at`, `resets`, `until` or `after` with `am`/`pm` or
 *   `HH:MM` (`resets 7pm (Europe/Berlin)`, `at 15:05`): its next occurrence,
 *   in the named zone when one follows in parentheses, else local.
 *
 * @param text - the message (or the pattern's `reset` group).
 * @param options - the clock and the local offset.
 * @returns the reset instant, Unix ms, or `undefined` when none is found or it is not in the future.
 */
export function parseResetTime(text: string, options: ParseResetOptions): number | undefined {
  const { nowMs } = options;
  const localOffset = options.utcOffsetMinutes ?? -new Date(nowMs).getTimezoneOffset();
  const future = (value: number | undefined) =>
    value !== undefined && Number.isFinite(value) && value > nowMs ? value : undefined;

  const epoch = /(?:^|\D)(\d{13}|\d{10})(?!\d)/.exec(text);
  if (epoch) {
    const value = Number(epoch[1]);
    const ms = epoch[1]!.length === 13 ? value : value * 1000;
    if (ms > Date.UTC(2001, 0, 1)) return future(ms);
  }

  const iso =
    /(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?/i.exec(
      text,
    );
  if (iso) {
    const [, year, month, day, hour, minute, second, zone] = iso;
    const asUtc = Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second ?? 0),
    );
    let offset = localOffset;
    if (zone) {
      if (zone.toUpperCase() === 'Z') offset = 0;
      else {
        const digits = zone.replace(':', '');
        offset =
          (digits[0] === '-' ? -1 : 1) *
          (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
      }
    }
    return future(asUtc - offset * 60_000);
  }

  const relative = /\bin\s+((?:\d+(?:\.\d+)?\s*[a-z]+[\s,]*(?:and\s+)?)+)/i.exec(text);
  if (relative) {
    let total = 0;
    let understood = false;
    for (const part of relative[1]!.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/gi)) {
      const unit = part[2]!.toLowerCase();
      const key = /^(h|hrs?|hours?)$/.test(unit)
        ? 'h'
        : /^(m|mins?|minutes?)$/.test(unit)
          ? 'm'
          : /^(s|secs?|seconds?)$/.test(unit)
            ? 's'
            : undefined;
      if (!key) break;
      total += Number(part[1]) * UNIT_MS[key]!;
      understood = true;
    }
    if (understood) return future(nowMs + total);
  }

  const clock =
    /\b(?:at|resets?|until|after)\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?:\s*\(([A-Za-z_]+(?:\/[A-Za-z_+-]+)*)\))?/i.exec(
      text,
    );
  if (clock && (clock[2] !== undefined || clock[3] !== undefined)) {
    let hour = Number(clock[1]);
    const minute = Number(clock[2] ?? 0);
    const meridiem = clock[3]?.toLowerCase().replace(/\./g, '');
    if (meridiem === 'pm' && hour < 12) hour += 12;
    if (meridiem === 'am' && hour === 12) hour = 0;
    if (hour > 23 || minute > 59) return undefined;
    const offset = (clock[4] ? zoneOffsetMinutes(clock[4], nowMs) : undefined) ?? localOffset;
    const localNow = new Date(nowMs + offset * 60_000);
    let candidate =
      Date.UTC(
        localNow.getUTCFullYear(),
        localNow.getUTCMonth(),
        localNow.getUTCDate(),
        hour,
        minute,
      ) -
      offset * 60_000;
    if (candidate <= nowMs) candidate += 24 * 3_600_000;
    return future(candidate);
  }
  return undefined;
}
