/** How two names collide: same NFC form, or same form after Unicode case folding. */
export type CollisionKind = 'nfc' | 'case';

/** Paths that name the same file on a normalising or case-insensitive file system. */
export interface CollisionGroup {
  kind: CollisionKind;
  /** The colliding paths, in the order given. */
  paths: string[];
}

/**
 * The key under which two paths collide on a normalising file system (macOS
 * APFS/HFS+ normalise, and Git's `core.precomposeUnicode` folds, NFD to NFC).
 *
 * @param path A relative path.
 * @returns The path in Unicode Normalization Form C.
 */
export function nfcKey(path: string): string {
  return ASCII.test(path) ? path : path.normalize('NFC');
}

/** Printable ASCII and controls: NFC leaves it alone and case folding is `toLowerCase`. */
const ASCII = /^[\x00-\x7F]*$/;

/**
 * The key under which two paths collide on a case-insensitive file system:
 * Unicode's canonical caseless match, `NFD(fold(NFD(path)))` (The Unicode
 * Standard §3.13, D145), with full case folding approximated by
 * `toUpperCase().toLowerCase()` (so `ß`, `SS` and `ss`, or `K` and the Kelvin
 * sign, collide). It flags at least every pair that Windows or macOS
 * would merge.
 *
 * @param path A relative path.
 * @returns The caseless key, in NFC for readability.
 */
export function caseKey(path: string): string {
  if (ASCII.test(path)) return path.toLowerCase();
  return path.normalize('NFD').toUpperCase().toLowerCase().normalize('NFD').normalize('NFC');
}

/**
 * Finds paths that are distinct byte strings but collide after NFC
 * normalisation (`nfc`) or after NFC and case folding (`case`); such trees
 * lose files when copied to macOS or Windows, or checked out by Git there.
 * A group of the `nfc` kind is not repeated as `case`.
 *
 * @param paths Relative paths, each once.
 * @returns The groups, in the order of their first path.
 */
export function findCollisions(paths: readonly string[]): CollisionGroup[] {
  const group = (key: (path: string) => string) => {
    const byKey = new Map<string, string[]>();
    for (const path of paths) {
      const k = key(path);
      const list = byKey.get(k);
      if (list) list.push(path);
      else byKey.set(k, [path]);
    }
    return [...byKey.values()].filter((list) => list.length > 1);
  };
  const nfc = group(nfcKey);
  const inNfc = new Set(nfc.flat());
  const caseGroups = group(caseKey).filter((list) => list.some((path) => !inNfc.has(path)));
  const groups: CollisionGroup[] = [
    ...nfc.map((list) => ({ kind: 'nfc' as const, paths: list })),
    ...caseGroups.map((list) => ({ kind: 'case' as const, paths: list })),
  ];
  const position = new Map(paths.map((path, index) => [path, index]));
  return groups.sort((a, b) => position.get(a.paths[0]!)! - position.get(b.paths[0]!)!);
}
