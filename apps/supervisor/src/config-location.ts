import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';

/** A key path in the config: keys and sequence indexes. */
export type Path = readonly PropertyKey[];

/**
 * The 1-based line of the node at `path` in a YAML document (its key when
 * `atKey`), or of the deepest node found on the way, so a config error names
 * its line.
 *
 * @param root - the document's contents.
 * @param path - the keys (and sequence indexes) down to the node.
 * @param counter - the document's line counter.
 * @param atKey - point at the last key rather than its value.
 * @returns the line, 1-based.
 */
export function lineAt(
  root: Node | null,
  path: Path,
  counter: LineCounter,
  atKey: boolean,
): number {
  let node: Node | null = root;
  let offset = root?.range?.[0] ?? 0;
  for (const [index, step] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === step);
      if (!pair) break;
      const key = pair.key as Node;
      offset = key.range?.[0] ?? offset;
      if (atKey && index === path.length - 1) break;
      node = (pair.value as Node | null) ?? null;
      if (node?.range) offset = node.range[0];
    } else if (isSeq(node) && typeof step === 'number') {
      node = (node.items[step] as Node | undefined) ?? null;
      if (node?.range) offset = node.range[0];
    } else break;
  }
  return counter.linePos(offset).line;
}

/**
 * The key path of a zod issue of the config, where to point (a key, or its
 * parent when it is missing), and the detail for people.
 *
 * @param issue - the first issue.
 * @param raw - the parsed YAML, to tell a missing key from a bad value.
 * @returns the path, where to point, the detail, and whether to point at the key.
 */
export function describeIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
): {
  path: Path;
  at: Path;
  detail: string;
  atKey: boolean;
} {
  if (issue.code === 'unrecognized_keys') {
    const path = [...issue.path, issue.keys[0]!];
    return { path, at: path, detail: 'unknown key', atKey: true };
  }
  const value = issue.path.reduce<unknown>(
    (node, step) => (node as Record<PropertyKey, unknown> | undefined)?.[step],
    raw,
  );
  if (value === undefined && issue.path.length > 0 && issue.code !== 'custom')
    return { path: issue.path, at: issue.path.slice(0, -1), detail: 'is required', atKey: true };
  const atKey = issue.path.length === 2 && issue.path[0] === 'loops' && issue.code === 'custom';
  return { path: issue.path, at: issue.path, detail: issue.message, atKey };
}
