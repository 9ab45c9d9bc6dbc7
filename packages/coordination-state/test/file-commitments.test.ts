/** What only the file store's commitments do: their files, and unusable files kept as they are. */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoordinationError, FileStore } from '../src/index.js';

let dir: string;
let directory: string;
let store: FileStore;
const input = {
  externalKey: 'actionclaim:builder:push',
  topic: 'loop/builder',
  text: 'Pushing the fix now.',
  verb: 'push',
  runId: 'run-1',
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'commitments-'));
  directory = join(dir, 'coordination');
  store = new FileStore({ directory });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileStore commitments', () => {
  it('keeps one private JSON file per topic in commitments/, beside the targets', async () => {
    await store.claim('acme/widgets#3', { runId: 'run-1' });
    const opened = await store.recordCommitment(input);
    const path = join(directory, 'commitments', 'loop%2Fbuilder.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(directory, 'commitments')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      schemaVersion: 1,
      topic: 'loop/builder',
      commitments: [opened.ok && opened.commitment],
    });
    expect((await store.list()).map((entry) => entry.target)).toEqual(['acme/widgets#3']);
  });

  it('refuses a corrupt file with ERR_INVALID_STATE naming it, and leaves it as it was', async () => {
    await store.recordCommitment(input);
    const path = join(directory, 'commitments', 'loop%2Fbuilder.json');
    writeFileSync(path, '{"schemaVersion":1,"topic":"loop/bui');
    const error = await store.listCommitments().catch((caught: unknown) => caught);
    expect(CoordinationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'ERR_INVALID_STATE',
      path,
      message: `Commitments file ${path} is unusable: it is not valid JSON. It was left exactly as it was.`,
      hint: `Inspect ${path}; move it aside (or restore it from a backup) to record commitments for its topic again.`,
    });
    await expect(store.recordCommitment({ ...input, topic: 'other' })).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      path,
    });
    expect(readFileSync(path, 'utf8')).toBe('{"schemaVersion":1,"topic":"loop/bui');
  });

  it('refuses an unknown schema version and a file of another topic', async () => {
    mkdirSync(join(directory, 'commitments'), { recursive: true });
    const future = join(directory, 'commitments', 'a.json');
    writeFileSync(future, '{"schemaVersion":9,"topic":"a","commitments":[]}');
    await expect(store.listCommitments()).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      message: `Commitments file ${future} is unusable: its schemaVersion 9 is not 1. It was left exactly as it was.`,
    });
    rmSync(future);
    const moved = join(directory, 'commitments', 'b.json');
    writeFileSync(moved, '{"schemaVersion":1,"topic":"c","commitments":[]}');
    await expect(store.listCommitments()).rejects.toMatchObject({
      message: `Commitments file ${moved} is unusable: it belongs to topic "c", not b. It was left exactly as it was.`,
    });
  });

  it("quotes zod's first issue in English for a file whose commitments do not match", async () => {
    mkdirSync(join(directory, 'commitments'), { recursive: true });
    const path = join(directory, 'commitments', 'a.json');
    writeFileSync(path, '{"schemaVersion":1,"topic":"a","commitments":[{"id":7}]}');
    await expect(store.listCommitments()).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      message: `Commitments file ${path} is unusable: commitments.0.id: Invalid input: expected string, received number. It was left exactly as it was.`,
    });
  });

  it('never follows a symlink into state', async () => {
    mkdirSync(directory, { recursive: true });
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(directory, 'commitments'));
    await expect(store.recordCommitment(input)).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      message: `${join(directory, 'commitments')} is a symlink; runwarden never follows a symlink into state. The coordination state was left as it is.`,
    });
    rmSync(join(directory, 'commitments'));
    mkdirSync(join(directory, 'commitments'));
    writeFileSync(join(elsewhere, 'x.json'), '{"schemaVersion":1,"topic":"x","commitments":[]}');
    symlinkSync(join(elsewhere, 'x.json'), join(directory, 'commitments', 'x.json'));
    await expect(store.listCommitments()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
  });
});
