/**
 * Follow-through with real things: real git repositories and a local bare
 * remote (a real `git push`), real supervised runs whose output is heard for
 * claims, and a real FileStore holding the commitments, its clock injected
 * to reach the 6 h deadline.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_COMMITMENT_EXPIRY_MS, FileStore } from '@runwarden/coordination-state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  advanceCommitments,
  commitmentEventOf,
  commitmentInputOf,
  createActionClaimSubscriber,
  findFollowThrough,
  type HeardActionClaim,
  Journal,
  readGitActivity,
  readJournal,
  superviseRun,
} from '../src/index.js';
import { fast } from './helpers.js';

let dir: string;
let gitEnv: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'follow-through-'));
  mkdirSync(join(dir, 'home'));
  gitEnv = {
    ...process.env,
    HOME: join(dir, 'home'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Agent',
    GIT_AUTHOR_EMAIL: 'agent@example.com',
    GIT_COMMITTER_NAME: 'Agent',
    GIT_COMMITTER_EMAIL: 'agent@example.com',
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', stdio: 'pipe' });

/** A work tree with one commit on `main`, and a bare remote `origin` that has it. */
function repository(): { work: string; remote: string } {
  const remote = join(dir, 'remote.git');
  const work = join(dir, 'work');
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  git(dir, 'init', '-q', '-b', 'main', work);
  writeFileSync(join(work, 'a.txt'), 'a\n');
  git(work, 'add', 'a.txt');
  git(work, 'commit', '-qm', 'one');
  git(work, 'remote', 'add', 'origin', remote);
  git(work, 'push', '-q', '-u', 'origin', 'main');
  return { work, remote };
}

function commit(work: string, name: string): void {
  writeFileSync(join(work, name), `${name}\n`);
  git(work, 'add', name);
  git(work, 'commit', '-qm', name);
}

const open = (verb: string, createdAtMs = Date.now()) => ({
  verb,
  createdAt: new Date(createdAtMs).toISOString(),
  expiresAt: new Date(createdAtMs + DEFAULT_COMMITMENT_EXPIRY_MS).toISOString(),
});

const judge = (work: string, commitment: ReturnType<typeof open>) =>
  findFollowThrough(
    commitment,
    readGitActivity(work, { sinceMs: Date.parse(commitment.createdAt) - 5000 }),
  );

describe('readGitActivity with real git', () => {
  it('sees a real push to a bare remote as the push, and a fetch as none', () => {
    const { work, remote } = repository();
    const claim = open('push', Date.now() + 3000);
    const other = join(dir, 'other');
    git(dir, 'clone', '-q', remote, other);
    commit(other, 'b.txt');
    git(other, 'push', '-q', 'origin', 'main');
    git(work, 'fetch', '-q', 'origin');
    expect(judge(work, claim)).toMatchObject({ fulfilled: false, kind: 'git-push' });
    git(work, 'merge', '-q', '--ff-only', 'origin/main');
    commit(work, 'c.txt');
    git(work, 'push', '-q', 'origin', 'main');
    const finding = judge(work, open('push', Date.now() - 500));
    expect(finding).toMatchObject({
      fulfilled: true,
      evidence: {
        kind: 'git-push',
        detail: expect.stringMatching(
          /^refs\/remotes\/origin\/main: update by push \([0-9a-f]{7}\.\.[0-9a-f]{7}\)$/,
        ),
      },
    });
  });

  it('sees a commit, a merge, a revert, a rebase and a tag in their reflog entries and refs', () => {
    const { work } = repository();
    const since = Date.now() - 500;
    expect(judge(work, open('merge', since))).toMatchObject({ fulfilled: false });
    git(work, 'checkout', '-q', '-b', 'feature');
    commit(work, 'f.txt');
    git(work, 'checkout', '-q', 'main');
    commit(work, 'm.txt');
    expect(judge(work, open('commit', since))).toMatchObject({ fulfilled: true });
    git(work, 'merge', '-q', '--no-edit', 'feature');
    expect(judge(work, open('merge', since))).toMatchObject({
      fulfilled: true,
      evidence: { detail: expect.stringMatching(/^HEAD: merge feature: Merge made by/) },
    });
    commit(work, 'oops.txt');
    git(work, 'revert', '--no-edit', 'HEAD');
    expect(judge(work, open('revert', since))).toMatchObject({
      fulfilled: true,
      evidence: { detail: expect.stringMatching(/^HEAD: revert: Revert "oops.txt"/) },
    });
    expect(judge(work, open('rebase', since))).toMatchObject({ fulfilled: false });
    git(work, 'checkout', '-q', 'feature');
    git(work, 'rebase', '-q', 'main');
    expect(judge(work, open('rebase', since))).toMatchObject({ fulfilled: true });
    expect(judge(work, open('tag', since))).toMatchObject({ fulfilled: false });
    git(work, 'tag', '-a', 'v1.0.0', '-m', 'release');
    expect(judge(work, open('tag', since))).toMatchObject({
      fulfilled: true,
      evidence: { kind: 'git-tag', detail: 'refs/tags/v1.0.0: new tag ref' },
    });
  });

  it('follows a worktree to its own HEAD log and the common refs', () => {
    const { work } = repository();
    const tree = join(dir, 'tree');
    git(work, 'worktree', 'add', '-q', '-b', 'side', tree);
    const since = Date.now() - 500;
    commit(tree, 's.txt');
    git(tree, 'push', '-q', 'origin', 'side');
    const activity = readGitActivity(tree);
    expect(activity.gitDirectory).toBe(join(work, '.git', 'worktrees', 'tree'));
    expect(activity.commonDirectory).toBe(join(work, '.git'));
    expect(judge(tree, open('push', since))).toMatchObject({ fulfilled: true });
    expect(judge(tree, open('commit', since))).toMatchObject({
      fulfilled: true,
      evidence: { detail: expect.stringMatching(/^HEAD: commit: s\.txt /) },
    });
    const mainHead = readGitActivity(work).reflog.filter((entry) => entry.ref === 'HEAD');
    expect(mainHead.map((entry) => entry.message)).not.toContain('commit: s.txt');
  });

  it('refuses a directory that is not a git repository', () => {
    expect(() => readGitActivity(dir)).toThrow(`${dir} is not a git repository.`);
  });
});

describe('action claims end to end (a loop whose claim is not kept, one whose claim is)', () => {
  it('raises exactly one attention item for an unkept restart, and fulfils a real push', async () => {
    const { work } = repository();
    let offsetMs = 0;
    const store = new FileStore({
      directory: join(dir, 'state', 'coordination'),
      now: () => Date.now() + offsetMs,
    });
    const pending: Promise<unknown>[] = [];
    const heardBy = (topic: string, runId: string, heard: HeardActionClaim[]) =>
      createActionClaimSubscriber({
        onClaim: (claim) => {
          heard.push(claim);
          pending.push(store.recordCommitment(commitmentInputOf({ claim, topic, runId })));
        },
      });
    const runs = {
      talker: { heard: [] as HeardActionClaim[], runDir: join(dir, 'runs', 'talker') },
      pusher: { heard: [] as HeardActionClaim[], runDir: join(dir, 'runs', 'pusher') },
    };
    const talker = heardBy('talker', 'run-talker', runs.talker.heard);
    await superviseRun({
      command: 'sh',
      args: [
        '-c',
        'echo "Restarting the server now."; echo "still thinking"; echo "I\'ll restart the server."',
      ],
      runDir: runs.talker.runDir,
      cwd: work,
      backoff: fast,
      subscribers: [talker],
      onFinish: () => talker.flush(),
    });
    commit(work, 'fix.txt');
    const pusher = heardBy('pusher', 'run-pusher', runs.pusher.heard);
    await superviseRun({
      command: 'sh',
      args: ['-c', 'echo "Pushing the fix now."; git push -q origin main'],
      runDir: runs.pusher.runDir,
      cwd: work,
      env: gitEnv,
      backoff: fast,
      subscribers: [pusher],
      onFinish: () => pusher.flush(),
    });
    await Promise.all(pending);
    expect(runs.talker.heard.map((claim) => claim.verb)).toEqual(['restart', 'restart']);
    expect(runs.pusher.heard.map((claim) => claim.verb)).toEqual(['push']);

    const evidenceFor = (commitment: { topic: string; createdAt: string }) => ({
      journalEvents: readJournal(
        join(runs[commitment.topic as keyof typeof runs].runDir, 'journal.jsonl'),
      ),
      ...readGitActivity(work, { sinceMs: Date.parse(commitment.createdAt) - 5000 }),
    });
    const first = await advanceCommitments({ ledger: store, evidenceFor });
    expect(first.fulfilled.map((change) => change.commitment.topic)).toEqual(['pusher']);
    expect(first.fulfilled[0]?.evidence).toMatchObject({ kind: 'git-push' });
    expect(first.expired).toEqual([]);
    expect(first.unreadable).toEqual([]);

    offsetMs = DEFAULT_COMMITMENT_EXPIRY_MS + 1000;
    const atExpiry = await advanceCommitments({ ledger: store, evidenceFor });
    expect(atExpiry.fulfilled).toEqual([]);
    expect(atExpiry.expired.map((commitment) => [commitment.topic, commitment.verb])).toEqual([
      ['talker', 'restart'],
    ]);
    const restart = atExpiry.expired[0]!;
    expect(restart.restatements).toBe(1);
    expect((await advanceCommitments({ ledger: store, evidenceFor })).expired).toEqual([]);

    const journal = new Journal(join(dir, 'supervisor-journal.jsonl'), 'supervisor');
    for (const change of first.fulfilled) {
      const { type, data } = commitmentEventOf(change.commitment, change.evidence);
      journal.append(type, 0, data);
    }
    for (const commitment of atExpiry.expired) {
      const { type, data } = commitmentEventOf(commitment);
      journal.append(type, 0, data);
    }
    journal.close();
    const events = readJournal(join(dir, 'supervisor-journal.jsonl'));
    expect(events.map((event) => [event.type, event.topic, event.verb])).toEqual([
      ['commitment-fulfilled', 'pusher', 'push'],
      ['commitment-expired', 'talker', 'restart'],
    ]);
    expect(events[1]).toMatchObject({
      text: "I'll restart the server.",
      restatements: 1,
      claimedByRunId: 'run-talker',
      closeReason: expect.stringMatching(/^No evidence that "restart" was done by /),
    });
    expect(await store.listCommitments({ state: 'open' })).toEqual([]);
  });

  it('reports a commitment whose evidence cannot be read, and still expires it at its deadline', async () => {
    let offsetMs = 0;
    const store = new FileStore({
      directory: join(dir, 'state', 'coordination'),
      now: () => Date.now() + offsetMs,
    });
    await store.recordCommitment({
      externalKey: 'actionclaim:lost:push',
      topic: 'lost',
      text: 'Pushing it now.',
      verb: 'push',
      runId: 'r',
    });
    const evidenceFor = () => readGitActivity(join(dir, 'gone'));
    const now = await advanceCommitments({ ledger: store, evidenceFor });
    expect(now.unreadable.map((entry) => (entry.error as Error).message)).toEqual([
      `${join(dir, 'gone')} is not a git repository.`,
    ]);
    expect(now.expired).toEqual([]);
    offsetMs = DEFAULT_COMMITMENT_EXPIRY_MS;
    expect((await advanceCommitments({ ledger: store, evidenceFor })).expired).toHaveLength(1);
  });

  it('fulfils a restart by the resume of a run that died after saying it', async () => {
    const { work } = repository();
    const store = new FileStore({ directory: join(dir, 'state', 'coordination') });
    const runDir = join(dir, 'runs', 'restarter');
    const pending: Promise<unknown>[] = [];
    const claims = createActionClaimSubscriber({
      onClaim: (claim) =>
        pending.push(
          store.recordCommitment(commitmentInputOf({ claim, topic: 'restarter', runId: 'r' })),
        ),
    });
    const marker = join(dir, 'said-it');
    await superviseRun({
      command: 'sh',
      args: [
        '-c',
        `if [ -e ${marker} ]; then echo back; else touch ${marker}; echo "I'll restart the agent now."; exit 1; fi`,
      ],
      runDir,
      cwd: work,
      backoff: { initialMs: 1500, maxMs: 1500, jitter: 0 },
      maxResumes: 2,
      // An agent loop: its failed exit is resumed (without a predicate the default hands it back).
      resumeOn: ['hang', 'signal', 'exit-0', 'failure'],
      subscribers: [claims],
    });
    await Promise.all(pending);
    const result = await advanceCommitments({
      ledger: store,
      evidenceFor: () => ({ journalEvents: readJournal(join(runDir, 'journal.jsonl')) }),
    });
    expect(result.fulfilled).toHaveLength(1);
    expect(result.fulfilled[0]?.evidence).toMatchObject({
      kind: 'process-start',
      detail: expect.stringMatching(/^journal: resumed \(process pid \d+, run /),
    });
  });
});
