/** No blocking open in evidence either: FIFOs where documents and log chains belong. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogChain, EvidenceError, verifyEvidence, verifyLogChain } from '../src/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'evidence-odd-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FIFOs where evidence belongs', () => {
  it('a FIFO named manifest.json is ERR_EVIDENCE_MANIFEST at once, not a hang', async () => {
    mkdirSync(join(dir, 'evidence'));
    execFileSync('mkfifo', [join(dir, 'evidence', 'manifest.json')]);
    const started = performance.now();
    const failure = await verifyEvidence(join(dir, 'evidence')).catch((error: unknown) => error);
    expect(EvidenceError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'ERR_EVIDENCE_MANIFEST' });
    expect((failure as Error).message).toContain('is a FIFO, not a regular file');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a FIFO at a log chain sidecar: creating it fails at once, verifying it says corrupt', async () => {
    writeFileSync(join(dir, 'stdout.log'), 'x\n');
    execFileSync('mkfifo', [join(dir, 'stdout.log.sha256chain')]);
    expect(() => createLogChain(join(dir, 'stdout.log'))).toThrow(
      /Cannot create the log chain .* is a FIFO, socket or device, not a regular file/,
    );
    const verified = await verifyLogChain(join(dir, 'stdout.log'));
    expect(verified).toMatchObject({ ok: false, status: 'corrupt' });
  });
});
