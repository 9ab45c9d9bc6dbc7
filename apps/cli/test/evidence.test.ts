import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runwarden as run } from './helpers.js';

let dir: string;
let artifacts: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-evidence-'));
  artifacts = join(dir, 'artifacts');
  mkdirSync(join(artifacts, 'logs'), { recursive: true });
  writeFileSync(join(artifacts, 'report.txt'), 'all green\r\n');
  writeFileSync(join(artifacts, 'logs', 'run.log'), 'line\n');
  writeFileSync(join(artifacts, 'odd\nname'), 'odd');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const runwarden = (args: string[]) => run(args, { cwd: dir });

describe('runwarden evidence hash', () => {
  it('writes the four documents into --out, and sha256sum -c passes on them', async () => {
    const result = await runwarden([
      'evidence',
      'hash',
      'artifacts',
      '--out',
      'artifacts/evidence',
      '--json',
    ]);
    expect(result.exitCode).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({
      ok: true,
      reason: 'OK',
      exitCode: 0,
      fileCount: 3,
      totalBytes: 19,
    });
    expect(output.written.map((path: string) => path.split('/').pop())).toEqual([
      'SHA256SUMS',
      'manifest.json',
      'statement.intoto.json',
      'review-packet.md',
    ]);
    expect(result.stderr).toBe('');
    const check = spawnSync('sha256sum', ['-c', 'evidence/SHA256SUMS'], {
      cwd: artifacts,
      encoding: 'utf8',
    });
    expect(check.status).toBe(0);
    const statement = JSON.parse(
      readFileSync(join(artifacts, 'evidence', 'statement.intoto.json'), 'utf8'),
    );
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.subject).toHaveLength(3);
  });

  it('prints SHA256SUMS on stdout without --out, and one chosen format', async () => {
    const sums = await runwarden(['evidence', 'hash', 'artifacts']);
    expect(sums.exitCode).toBe(0);
    expect(sums.stdout.split('\n')).toHaveLength(3);
    expect(sums.stdout).toContain('  logs/run.log');
    expect(sums.stdout).toContain('  odd\\nname');
    const md = await runwarden(['evidence', 'hash', 'artifacts', '--format', 'md']);
    expect(md.stdout.startsWith('# Evidence review packet\n')).toBe(true);
  });

  it('exits 64 with one line for a bad format or a missing root', async () => {
    const format = await runwarden(['evidence', 'hash', 'artifacts', '--format', 'yaml']);
    expect(format.exitCode).toBe(64);
    expect(format.stderr).toBe(
      'runwarden: --format: unknown format "yaml" (use sums, json, intoto, md)',
    );
    const missing = await runwarden(['evidence', 'hash', 'nowhere', '--out', 'x', '--json']);
    expect(missing.exitCode).toBe(64);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, reason: 'USAGE', exitCode: 64 });
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('shows an example in --help', async () => {
    const help = await runwarden(['evidence', 'hash', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('$ runwarden evidence hash artifacts --out artifacts/evidence');
  });
});

describe('runwarden evidence verify', () => {
  it('exits 0 for an untouched tree and 1 naming exactly the changed file', async () => {
    await runwarden(['evidence', 'hash', 'artifacts', '--out', 'artifacts/evidence']);
    const clean = await runwarden(['evidence', 'verify', 'artifacts/evidence']);
    expect(clean.exitCode).toBe(0);
    expect(clean.stdout).toBe('');
    const bytes = readFileSync(join(artifacts, 'report.txt'));
    bytes.writeUInt8(bytes.readUInt8(0) ^ 1, 0);
    writeFileSync(join(artifacts, 'report.txt'), bytes);
    writeFileSync(join(artifacts, 'extra.txt'), 'new');
    const changed = await runwarden(['evidence', 'verify', 'artifacts/evidence']);
    expect(changed.exitCode).toBe(1);
    expect(changed.stdout).toBe('extra     extra.txt\nmodified  report.txt');
    expect(changed.stderr).toContain('EVIDENCE_MISMATCH (exit 1): 1 modified, 1 extra');
    const json = await runwarden([
      'evidence',
      'verify',
      '--json',
      'artifacts/evidence/manifest.json',
    ]);
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      reason: 'EVIDENCE_MISMATCH',
      exitCode: 1,
      counts: { ok: 3, modified: 1, extra: 1 },
    });
  });

  it('exits 7 for a corrupt manifest and leaves it as it was', async () => {
    await runwarden(['evidence', 'hash', 'artifacts', '--out', 'artifacts/evidence']);
    const manifest = join(artifacts, 'evidence', 'manifest.json');
    writeFileSync(manifest, '{"schemaVersion": 9}');
    const result = await runwarden(['evidence', 'verify', 'artifacts/evidence']);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toBe(
      `runwarden: INVALID_STATE: ${manifest} has schemaVersion 9; this runwarden reads versions 1 and 2.\nrunwarden: Verify it with the runwarden version that wrote it.`,
    );
    expect(readFileSync(manifest, 'utf8')).toBe('{"schemaVersion": 9}');
  });
});

describe('runwarden run', () => {
  it('leaves evidence that runwarden evidence verify accepts', async () => {
    const stateDir = join(dir, 'state');
    const run = await runwarden([
      'run',
      '--state-dir',
      stateDir,
      '--json',
      '--',
      'sh',
      '-c',
      'echo done',
    ]);
    expect(run.exitCode).toBe(0);
    const runId = JSON.parse(run.stdout).runId as string;
    const evidenceDir = join(stateDir, 'runs', runId, 'evidence');
    expect(readdirSync(evidenceDir).sort()).toEqual([
      'SHA256SUMS',
      'manifest.json',
      'review-packet.md',
      'statement.intoto.json',
    ]);
    const verify = await runwarden(['evidence', 'verify', evidenceDir]);
    expect(verify.exitCode).toBe(0);
  });
});

describe('the evidence of runwarden run', () => {
  it("carries the run's own predicate and a hash chain for each log", async () => {
    const result = await runwarden([
      'run',
      '--state-dir',
      join(dir, 'state'),
      '--json',
      '--',
      process.execPath,
      '-e',
      'setTimeout(() => console.log("done"), 100)',
    ]);
    expect(result.exitCode).toBe(0);
    const { runDir, runId } = JSON.parse(result.stdout);
    const statement = JSON.parse(
      readFileSync(join(runDir, 'evidence', 'statement.intoto.json'), 'utf8'),
    );
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicate.run).toMatchObject({
      runId,
      command: [process.execPath, '-e', 'setTimeout(() => console.log("done"), 100)'],
      reason: 'OK',
      exitCode: 0,
      attempts: 1,
      lastExit: { code: 0, signal: null },
    });
    const roles = statement.predicate.run.processes.map(
      (process: { role: string }) => process.role,
    );
    expect(roles).toEqual(['runwarden', 'attempt-1']);
    expect(statement.predicate.run.processes[1].startTimeMs).toBeGreaterThan(0);
    const { verifyLogChain } = await import('@runwarden/evidence-hasher');
    expect(verifyLogChain(join(runDir, 'stdout.log'))).toMatchObject({
      ok: true,
      status: 'ok',
      logBytes: 5,
    });
    expect(statement.subject.map((subject: { name: string }) => subject.name)).toContain(
      'stdout.log.sha256chain',
    );
  });
});
