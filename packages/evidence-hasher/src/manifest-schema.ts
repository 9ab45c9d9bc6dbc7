import { z } from 'zod';

/** The zod schema of a `manifest.json` (`parseManifest` validates with it). */
function buildManifestSchema() {
  const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256');
  const entrySchema = z
    .object({
      path: z.string().min(1),
      type: z.enum(['file', 'symlink', 'dir', 'other']),
      exec: z.boolean(),
      size: z.number().int().nonnegative(),
      sha256: hex64.optional(),
      linkTarget: z.string().optional(),
      status: z.enum(['unreadable', 'unstable']).optional(),
      collision: z.enum(['nfc', 'case']).optional(),
    })
    .strict();
  return z
    .object({
      schemaVersion: z.union([z.literal(1), z.literal(2)]),
      algorithm: z.literal('sha256'),
      rootDigest: z.string().startsWith('h1:'),
      rootSha256: hex64,
      fileCount: z.number().int().nonnegative(),
      totalBytes: z.number().int().nonnegative(),
      root: z.string().optional(),
      exclude: z.array(z.string()).optional(),
      entries: z.array(entrySchema),
    })
    .strict();
}

/**
 * The zod schema of a `manifest.json`. This module is loaded by
 * `parseManifest` on first use (a dynamic import, its own chunk), so hashing
 * and writing evidence never load zod.
 */
export const manifestSchema = buildManifestSchema();
