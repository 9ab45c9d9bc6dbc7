/**
 * Marks `error` as an instance of the class whose marker is `marker`
 * (`runwarden.<package>.error.<ClassName>`): a non-enumerable property keyed
 * by `Symbol.for(marker)`, so it survives two copies of a package (the symbol
 * registry is global) and never shows in `JSON.stringify` or `Object.keys`
 * (vercel/ai's `load-api-key-error.ts` pattern). Each class of an error
 * hierarchy marks its instances with its own marker, so a base error is never
 * taken for a subclass.
 *
 * @param error - the instance, in its constructor.
 * @param marker - the class's marker.
 */
export function mark(error: object, marker: string): void {
  Object.defineProperty(error, Symbol.for(marker), { value: true });
}

/**
 * True when `error` carries the marker `marker` (see {@link mark}).
 *
 * @param error - anything caught.
 * @param marker - the class's marker.
 * @returns whether `error` is an instance of that class, from any copy of its package.
 */
export function hasMarker(error: unknown, marker: string): boolean {
  const symbol = Symbol.for(marker);
  return (
    typeof error === 'object' &&
    error !== null &&
    symbol in error &&
    (error as Record<symbol, unknown>)[symbol] === true
  );
}
