import type { $ZodIssue, ParseContext } from 'zod/v4/core';
// The one English locale file (about 8 KB), not the `zod/locales` index, which holds all of them.
import en from 'zod/v4/locales/en.js';

let context: ParseContext<$ZodIssue> | undefined;

/**
 * The parse options that give zod's English messages (`Invalid input:
 * expected string, received number`, `Too small: expected number to be >0`,
 * …) to one `safeParse` or `parse`: `schema.safeParse(value, english())`.
 *
 * Classic `zod` sets English as the global locale when it loads; `zod/mini`
 * sets none, so its issues say only `Invalid input`. A library must not set
 * the global zod config of the app that uses it (`z.config(...)`), so each
 * parse whose messages reach a runwarden error asks for English itself. A
 * message the schema gives (`{ error: '…' }`) still wins, as it does over the
 * global locale; this map in turn wins over the app's `z.config` maps.
 *
 * @returns the same frozen `{ error }` object on every call (built on the first).
 */
export function english(): ParseContext<$ZodIssue> {
  context ??= Object.freeze({ error: en().localeError });
  return context;
}

/**
 * The first issue of a failed parse as `path: message` (`activeRun.runId:
 * Invalid input: expected string, received number`), the form the stores'
 * unusable-state errors quote; `whole` names the value when the issue is at
 * its top (an empty path).
 *
 * @param error - the parse's error (any zod error: `issues` is all it reads).
 * @param whole - what to call the whole value (`record`, `file`, …).
 * @returns the text, `<whole>: invalid` when there is no issue.
 */
export function firstIssue(
  error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] },
  whole: string,
): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || whole}: ${issue?.message ?? 'invalid'}`;
}
