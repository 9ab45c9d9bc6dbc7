import { describe, expect, it } from 'vitest';
import { buildManifest } from './formats.js';
import { formatReviewPacket, markdownCode } from './review-packet.js';
import type { EvidenceEntry } from './walk.js';

describe('markdownCode', () => {
  it('escapes pipes for tables, shows newline/CR/backslash as sha256sum does, and fences backticks', () => {
    expect(markdownCode('a|b')).toBe('`a\\|b`');
    expect(markdownCode('new\nline\\x')).toBe('`new\\nline\\\\x`');
    expect(markdownCode('tick`name')).toBe('`` tick`name ``');
  });
});

describe('formatReviewPacket', () => {
  it('shows the run, the root digest, the check command and one row per entry', () => {
    const entries: EvidenceEntry[] = [
      { path: 'a|b.txt', type: 'file', exec: false, size: 3, sha256: 'a'.repeat(64) },
      { path: 'bin', type: 'dir', exec: false, size: 0 },
      { path: 'bin/run.sh', type: 'file', exec: true, size: 9, sha256: 'b'.repeat(64) },
      { path: 'fifo', type: 'other', exec: false, size: 0 },
      { path: 'link', type: 'symlink', exec: false, size: 0, linkTarget: '../x' },
      { path: 'secret', type: 'file', exec: false, size: 4, status: 'unreadable' },
    ];
    const manifest = buildManifest(entries);
    const text = formatReviewPacket(manifest, {
      run: {
        runId: 'r1',
        command: ['pnpm', 'test'],
        reason: 'OK',
        exitCode: 0,
        durationMs: 1500,
        timeouts: { missionMs: 60_000 },
      },
    });
    expect(text).toBe(
      [
        '# Evidence review packet',
        '',
        '| | |',
        '| :--- | :--- |',
        '| Run | `r1` |',
        '| Command | `pnpm test` |',
        '| Result | `OK` (exit 0) |',
        '| Duration | 1.500 s |',
        '| Timeouts | missionMs 60000 ms |',
        `| Root digest | \`${manifest.rootDigest}\` |`,
        `| Root SHA-256 | \`${manifest.rootSha256}\` |`,
        '| Files | 3 (16 bytes) |',
        '| Not verifiable | `secret` (unreadable) |',
        '',
        'Check it with coreutils alone, from the root: `sha256sum -c evidence/SHA256SUMS`',
        '',
        '| Path | Type | Size (bytes) | SHA-256 |',
        '| :--- | :--- | ---: | :--- |',
        `| \`a\\|b.txt\` | file | 3 | \`${'a'.repeat(64)}\` |`,
        '| `bin` | dir |  |  |',
        `| \`bin/run.sh\` | file, executable | 9 | \`${'b'.repeat(64)}\` |`,
        '| `fifo` | other (not read) |  |  |',
        '| `link` | symlink → `../x` |  |  |',
        '| `secret` | file | 4 | **unreadable** |',
        '',
      ].join('\n'),
    );
  });
});
