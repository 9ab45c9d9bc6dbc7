import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLockFile } from './lock-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lock-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readLockFile', () => {
  it("quotes zod's first issue in English for a body that is not a lock (zod/mini loads no locale)", () => {
    const path = join(dir, 'RUN.lock');
    writeFileSync(path, '{"schemaVersion":1}');
    expect(() => readLockFile(path)).toThrow(
      `Lock file ${path} is not a valid lock: its fields do not match the lock schema: Invalid input: expected string, received undefined. It was left exactly as it was.`,
    );
  });
});
