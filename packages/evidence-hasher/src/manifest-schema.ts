import { english } from '@runwarden/zod-english';
import * as z from 'zod/mini';

/** The zod schema of a `manifest.json` (`parseManifest` validates with it). */
function buildManifestSchema() {
  const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256'));
  const entrySchema = z.strictObject({
    path: z.string().check(z.minLength(1)),
    type: z.enum(['file', 'symlink', 'dir', 'other']),
    exec: z.boolean(),
    size: z.number().check(z.int(), z.nonnegative()),
    sha256: z.optional(hex64),
    linkTarget: z.optional(z.string()),
    status: z.optional(z.enum(['unreadable', 'unstable'])),
    collision: z.optional(z.enum(['nfc', 'case'])),
  });
  return z.strictObject({
    schemaVersion: z.union([z.literal(1), z.literal(2)]),
    algorithm: z.literal('sha256'),
    rootDigest: z.string().check(z.startsWith('h1:')),
    rootSha256: hex64,
    fileCount: z.number().check(z.int(), z.nonnegative()),
    totalBytes: z.number().check(z.int(), z.nonnegative()),
    root: z.optional(z.string()),
    exclude: z.optional(z.array(z.string())),
    entries: z.array(entrySchema),
  });
}

/**
 * The zod schema of a `manifest.json` (no unknown fields, at the top or in an
 * entry). This module is loaded by `parseManifest` on first use (a dynamic
 * import, its own chunk), so hashing and writing evidence never load zod.
 * A zod/mini schema: parse with `.parse`/`.safeParse`; compose with
 * `z.extend` from 'zod/mini'. Its issues say only `Invalid input` unless the
 * parse or the app gives a locale (`parseManifest` gives English).
 */
export const manifestSchema = buildManifestSchema();

/**
 * Checks a parsed `manifest.json` against {@link manifestSchema}, with zod's
 * English issue messages (zod/mini loads no locale; the global zod config is
 * left alone).
 *
 * @param raw - the file's JSON value.
 * @returns zod's result: the manifest, or the error whose first issue `parseManifest` quotes.
 */
export function checkManifest(
  raw: unknown,
): z.util.SafeParseResult<z.output<typeof manifestSchema>> {
  return manifestSchema.safeParse(raw, english());
}
