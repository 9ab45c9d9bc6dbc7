/** How {@link until} polls. */
export interface UntilOptions {
  /**
   * Give up after this many ms.
   * @default 20000
   */
  timeoutMs?: number;
  /**
   * Look again after this many ms.
   * @default 5
   */
  everyMs?: number;
}

/**
 * Polls `probe` until it gives a truthy value, and resolves to that value: a
 * test waits on the state it needs (the kernel's, a file's), never on a fixed time.
 *
 * @param probe - the check; a falsy value (`undefined`, `false`, `0`, …) means "not yet".
 * @param options - `timeoutMs` and `everyMs`.
 * @returns the first truthy value.
 * @throws {Error} `condition not met in time` after `timeoutMs`.
 */
export async function until<T>(
  probe: () => T | undefined | null | false,
  { timeoutMs = 20_000, everyMs = 5 }: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
