import { EvidenceError } from './errors.js';
import { type EvidenceManifest, MANIFEST_SCHEMA_VERSIONS } from './formats.js';

/**
 * Parses and validates a `manifest.json` (schema version 2, or 1 as written
 * before the Go root). The file itself is never changed.
 *
 * @param text The file's text.
 * @param path The file's path, for messages.
 * @returns The manifest (a promise: zod loads on the first call).
 * @throws {EvidenceError} `ERR_EVIDENCE_MANIFEST` when the text is not JSON, has another `schemaVersion`, or does not match the shape.
 */
export async function parseManifest(text: string, path: string): Promise<EvidenceManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_MANIFEST',
      path,
      message: `${path} is not JSON: ${(error as Error).message}`,
      cause: error,
      hint: 'The file was left as it is; restore it from the run, or hash the tree again.',
    });
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (!MANIFEST_SCHEMA_VERSIONS.includes(version as 1 | 2)) {
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_MANIFEST',
      path,
      message: `${path} has schemaVersion ${JSON.stringify(version)}; this runwarden reads versions ${MANIFEST_SCHEMA_VERSIONS.join(' and ')}.`,
      hint: 'Verify it with the runwarden version that wrote it.',
    });
  }
  // Loaded here, not at the top: only reading evidence needs zod.
  const { checkManifest } = await import('./manifest-schema.js');
  const parsed = checkManifest(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_MANIFEST',
      path,
      message: `${path} is not a valid manifest: ${issue.path.join('.') || '(top)'}: ${issue.message}`,
      cause: parsed.error,
      hint: 'The file was left as it is; restore it from the run, or hash the tree again.',
    });
  }
  return parsed.data as EvidenceManifest;
}
