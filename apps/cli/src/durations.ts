import bytes from 'bytes';
import ms from 'ms';
import { usage } from './errors.js';

/**
 * Parses a duration flag: `150s`, `15m`, `2h`, `1.5h`, or plain milliseconds
 * (`1500`), with the `ms` package (the format of `vercel/ms`).
 *
 * @returns milliseconds, a non-negative integer.
 * @throws {CliError} `USAGE` naming the flag when the value is not a duration.
 */
export function parseDuration(flag: string, value: string): number {
  const trimmed = value.trim();
  const parsed = /^\d+$/.test(trimmed) ? Number(trimmed) : ms(trimmed as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    throw usage(`${flag}: '${value}' is not a duration (use e.g. 150s, 15m, 2h, or milliseconds)`);
  }
  return Math.round(parsed);
}

/** Formats ms for people: `850ms`, `2.5s`, `15m`. */
export function formatDuration(valueMs: number): string {
  if (valueMs < 1000) return `${Math.round(valueMs)}ms`;
  return ms(Math.round(valueMs), { long: false });
}

/**
 * Parses a non-negative integer flag.
 *
 * @param flag - the flag's name, for the message.
 * @param value - what was given.
 * @returns the integer.
 * @throws {CliError} `USAGE` naming the flag.
 */
export function parseCount(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw usage(`${flag}: '${value}' is not a non-negative integer`);
  return Number(value.trim());
}

/**
 * Parses a size flag: `50MB`, `512kb`, `1GB` (1024-based, the `bytes` package's
 * format) or plain bytes.
 *
 * @param flag - the flag's name, for the message.
 * @param value - what was given.
 * @returns bytes, a non-negative integer.
 * @throws {CliError} `USAGE` naming the flag when the value is not a size.
 */
export function parseSize(flag: string, value: string): number {
  const parsed = bytes.parse(value.trim());
  if (parsed === null || !Number.isFinite(parsed) || parsed < 0) {
    throw usage(`${flag}: '${value}' is not a size (use e.g. 50MB, 512KB, or bytes)`);
  }
  return Math.floor(parsed);
}
