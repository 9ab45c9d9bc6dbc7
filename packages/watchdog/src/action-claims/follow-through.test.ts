import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../journal-schema.js';
import { evidenceKindOf, findFollowThrough, GIT_EVIDENCE_LEAD_MS } from './follow-through.js';
import { parseReflog, type ReflogEntry } from './git-activity.js';

const created = Date.parse('2026-11-26T10:00:00.500Z');
const commitment = (verb: string) => ({
  verb,
  createdAt: new Date(created).toISOString(),
  expiresAt: new Date(created + 6 * 3600_000).toISOString(),
});
const id = (digit: string) => digit.repeat(40);
const entry = (ref: string, atMs: number, message: string): ReflogEntry => ({
  ref,
  oldId: id('a'),
  newId: id('b'),
  atMs,
  message,
});
const event = (type: string, atMs: number, data: Record<string, unknown> = {}) =>
  ({
    ts: new Date(atMs).toISOString(),
    runId: 'run-1',
    attempt: 2,
    type,
    reason: null,
    ...data,
  }) as JournalEvent;

describe('evidenceKindOf', () => {
  it('maps each verb to the evidence that can show it done', () => {
    expect(
      [
        'restart',
        'relaunch',
        'reboot',
        'start',
        'push',
        'commit',
        'merge',
        'revert',
        'rebase',
        'tag',
      ].map(evidenceKindOf),
    ).toEqual([
      'process-start',
      'process-start',
      'process-start',
      'process-start',
      'git-push',
      'git-commit',
      'git-merge',
      'git-revert',
      'git-rebase',
      'git-tag',
    ]);
    expect(['deploy', 'publish', 'kill', 'stop', 'open a PR', 'dance'].map(evidenceKindOf)).toEqual(
      ['none', 'none', 'none', 'none', 'none', 'none'],
    );
  });
});

describe('findFollowThrough', () => {
  it('fulfils a push by a remote-tracking ref moved by a push, not by a fetch', () => {
    const later = created + 60_000;
    expect(
      findFollowThrough(commitment('push'), {
        reflog: [
          entry('refs/remotes/origin/main', later - 1000, 'fetch: fast-forward'),
          entry('HEAD', later, 'commit: fix'),
          entry('refs/remotes/origin/main', later, 'update by push'),
        ],
      }),
    ).toEqual({
      fulfilled: true,
      evidence: {
        kind: 'git-push',
        at: new Date(later).toISOString(),
        detail: 'refs/remotes/origin/main: update by push (aaaaaaa..bbbbbbb)',
      },
    });
    expect(
      findFollowThrough(commitment('push'), {
        reflog: [entry('refs/remotes/origin/main', created + 5000, 'fetch: fast-forward')],
      }),
    ).toEqual({
      fulfilled: false,
      kind: 'git-push',
      reason: `no git-push evidence between ${commitment('push').createdAt} and ${commitment('push').expiresAt}.`,
    });
  });

  it('counts only the window: git evidence from 2 s before createdAt (in whole seconds), not after the deadline', () => {
    const push = (atMs: number) => ({
      reflog: [entry('refs/remotes/origin/main', atMs, 'update by push')],
    });
    const second = Math.floor((created - GIT_EVIDENCE_LEAD_MS) / 1000) * 1000;
    expect(findFollowThrough(commitment('push'), push(second)).fulfilled).toBe(true);
    expect(findFollowThrough(commitment('push'), push(second - 1000)).fulfilled).toBe(false);
    expect(
      findFollowThrough(commitment('push'), push(created + 6 * 3600_000 + 1000)).fulfilled,
    ).toBe(false);
  });

  it('fulfils a restart by a new process or service start in the journal, the earliest first', () => {
    const finding = findFollowThrough(commitment('restart'), {
      journalEvents: [
        event('spawned', created - 10, { pid: 10 }),
        event('died', created + 100, { cause: 'exit 1' }),
        event('resumed', created + 3000, { pid: 12 }),
        event('service-started', created + 2000, { name: 'api', pid: 11 }),
      ],
    });
    expect(finding).toEqual({
      fulfilled: true,
      evidence: {
        kind: 'process-start',
        at: new Date(created + 2000).toISOString(),
        detail: 'journal: service-started (service api pid 11, run run-1)',
      },
    });
    expect(
      findFollowThrough(commitment('relaunch'), {
        journalEvents: [event('spawned', created - 10, { pid: 10 })],
      }).fulfilled,
    ).toBe(false);
  });

  it('fulfils a commit, merge, revert or rebase by its HEAD reflog entry', () => {
    const at = created + 1000;
    const head = (message: string) => ({ reflog: [entry('HEAD', at, message)] });
    expect(findFollowThrough(commitment('commit'), head('commit (amend): fix')).fulfilled).toBe(
      true,
    );
    expect(findFollowThrough(commitment('merge'), head('merge feat: Fast-forward')).fulfilled).toBe(
      true,
    );
    expect(
      findFollowThrough(commitment('merge'), head('commit (merge): Merge branch x')).fulfilled,
    ).toBe(true);
    expect(findFollowThrough(commitment('merge'), head('pull: Fast-forward')).fulfilled).toBe(
      false,
    );
    expect(findFollowThrough(commitment('revert'), head('revert: Revert "fix"')).fulfilled).toBe(
      true,
    );
    expect(findFollowThrough(commitment('revert'), head('commit: Revert "fix"')).fulfilled).toBe(
      true,
    );
    expect(findFollowThrough(commitment('revert'), head('commit: fix')).fulfilled).toBe(false);
    expect(
      findFollowThrough(
        commitment('rebase'),
        head('rebase (finish): returning to refs/heads/main'),
      ),
    ).toMatchObject({ fulfilled: true, evidence: { kind: 'git-rebase' } });
    expect(findFollowThrough(commitment('rebase'), head('rebase (pick): fix')).fulfilled).toBe(
      false,
    );
    expect(
      findFollowThrough(commitment('merge'), {
        reflog: [entry('refs/heads/main', at, 'merge feat: Fast-forward')],
      }).fulfilled,
    ).toBe(false);
  });

  it('fulfils a tag by a new tag ref or its reflog', () => {
    expect(
      findFollowThrough(commitment('tag'), { tags: [{ ref: 'refs/tags/v2', atMs: created + 5 }] }),
    ).toEqual({
      fulfilled: true,
      evidence: {
        kind: 'git-tag',
        at: new Date(created + 5).toISOString(),
        detail: 'refs/tags/v2: new tag ref',
      },
    });
    expect(
      findFollowThrough(commitment('tag'), { tags: [{ ref: 'refs/tags/v1', atMs: created - 5 }] })
        .fulfilled,
    ).toBe(false);
    expect(
      findFollowThrough(commitment('tag'), { reflog: [entry('refs/tags/v3', created, '')] })
        .fulfilled,
    ).toBe(true);
  });

  it('says when runwarden cannot see a verb done', () => {
    expect(findFollowThrough(commitment('deploy'), { journalEvents: [], reflog: [] })).toEqual({
      fulfilled: false,
      kind: 'none',
      reason: 'runwarden cannot see "deploy" done; the commitment can only expire or be dropped.',
    });
  });
});

describe('parseReflog', () => {
  it('reads git’s reflog lines and skips a line cut short', () => {
    const text = [
      `${id('0')} ${id('1')} A U Thor <a@example.com> 1796157513 +0100\tcommit (initial): one`,
      `${id('1')} ${id('2')} A U Thor <a@example.com> 1796157514 -0700\tmerge feat: Merge made by the 'ort' strategy.`,
      `${id('2')} ${id('3')} A U Th`,
    ].join('\n');
    expect(parseReflog('HEAD', text)).toEqual([
      {
        ref: 'HEAD',
        oldId: id('0'),
        newId: id('1'),
        atMs: 1796157513000,
        message: 'commit (initial): one',
      },
      {
        ref: 'HEAD',
        oldId: id('1'),
        newId: id('2'),
        atMs: 1796157514000,
        message: "merge feat: Merge made by the 'ort' strategy.",
      },
    ]);
  });
});
