import type { ProcessInfo } from '@runwarden/process-identity';
import { describe, expect, it } from 'vitest';
import { linkTree, type TreeOwnership } from './tree-links.js';

const row = (pid: number, ppid: number, extra: Partial<ProcessInfo> = {}): ProcessInfo => ({
  pid,
  ppid,
  pgid: 1,
  sid: 1,
  state: 'S',
  comm: 'x',
  startTicks: pid,
  startTimeMs: 0,
  cmdline: [],
  ...extra,
});
const fresh = (): TreeOwnership => ({ groups: new Map(), sessions: new Map() });
const noCarriers = new Set<number>();
const self = 999;

describe('linkTree', () => {
  it('links the root and its descendants by parent link, and nothing else', () => {
    const table = [row(1, 0), row(10, 1), row(11, 10), row(12, 11), row(20, 1)];
    const links = linkTree(
      table,
      { root: { pid: 10, startTicks: 10 }, carriers: noCarriers, selfPid: self },
      fresh(),
    );
    expect([...links]).toEqual([
      [10, 'root'],
      [11, 'descendant'],
      [12, 'descendant'],
    ]);
  });

  it('does not link a root pid whose start ticks differ (reused)', () => {
    const links = linkTree(
      [row(10, 1), row(11, 10)],
      { root: { pid: 10, startTicks: 9 }, carriers: noCarriers, selfPid: self },
      fresh(),
    );
    expect(links.size).toBe(0);
  });

  it('links every one of several roots whose start ticks match, and skips the reused one', () => {
    const table = [row(1, 0), row(10, 1), row(11, 10), row(30, 1), row(40, 1, { startTicks: 41 })];
    const links = linkTree(
      table,
      {
        roots: [
          { pid: 10, startTicks: 10 },
          { pid: 30, startTicks: 30 },
          { pid: 40, startTicks: 40 },
        ],
        carriers: noCarriers,
        selfPid: self,
      },
      fresh(),
    );
    expect([...links]).toEqual([
      [10, 'root'],
      [30, 'root'],
      [11, 'descendant'],
    ]);
  });

  it('owns the group and session the root leads, and keeps them after the root is gone', () => {
    const ownership = fresh();
    const root = { pid: 10, startTicks: 10 };
    linkTree(
      [row(10, 1, { pgid: 10, sid: 10 }), row(11, 10, { pgid: 10, sid: 10 })],
      { root, carriers: noCarriers, selfPid: self },
      ownership,
    );
    expect([...ownership.groups]).toEqual([[10, 10]]);
    expect([...ownership.sessions]).toEqual([[10, 10]]);
    // The root died and its child was reparented to init: the group still ties it to the tree.
    const links = linkTree(
      [row(1, 0), row(11, 1, { pgid: 10, sid: 10 })],
      { root, carriers: noCarriers, selfPid: self },
      ownership,
    );
    expect([...links]).toEqual([[11, 'group']]);
  });

  it('links a double-forked process that kept the session but changed its group', () => {
    const ownership: TreeOwnership = { groups: new Map(), sessions: new Map([[10, 10]]) };
    const links = linkTree(
      [row(10, 1, { pgid: 10, sid: 10 }), row(30, 1, { pgid: 30, sid: 10, startTicks: 30 })],
      { carriers: noCarriers, selfPid: self },
      ownership,
    );
    expect(links.get(30)).toBe('session');
  });

  it('links a token carrier outside the tree, and its descendants', () => {
    const links = linkTree(
      [row(40, 1, { pgid: 40, sid: 40 }), row(41, 40, { pgid: 40, sid: 40 })],
      { carriers: new Set([40]), selfPid: self },
      fresh(),
    );
    expect([...links]).toEqual([
      [40, 'token'],
      [41, 'descendant'],
    ]);
  });

  it('never links this process, nor a zombie', () => {
    const links = linkTree(
      [row(10, 1), row(self, 10), row(12, 10, { state: 'Z' })],
      { root: { pid: 10, startTicks: 10 }, carriers: noCarriers, selfPid: self },
      fresh(),
    );
    expect([...links.keys()]).toEqual([10]);
  });

  it('forgets a group seen empty, so a stranger that later gets its id is not swept', () => {
    const ownership: TreeOwnership = { groups: new Map([[50, 50]]), sessions: new Map() };
    linkTree([row(1, 0)], { carriers: noCarriers, selfPid: self }, ownership);
    expect(ownership.groups.size).toBe(0);
    const links = linkTree(
      [row(50, 1, { pgid: 50, startTicks: 77 }), row(51, 50, { pgid: 50, startTicks: 78 })],
      { carriers: noCarriers, selfPid: self },
      ownership,
    );
    expect(links.size).toBe(0);
  });

  it('drops a group whose id now names a live stranger with other start ticks', () => {
    const ownership: TreeOwnership = { groups: new Map([[50, 50]]), sessions: new Map() };
    const links = linkTree(
      [row(50, 1, { pgid: 50, startTicks: 77 })],
      { carriers: noCarriers, selfPid: self },
      ownership,
    );
    expect(links.size).toBe(0);
  });

  it('does not take a child older than its recorded parent (a reused parent pid on Windows)', () => {
    const links = linkTree(
      [row(60, 1, { startTicks: 500 }), row(61, 60, { startTicks: 100 })],
      { root: { pid: 60, startTicks: 500 }, carriers: noCarriers, selfPid: self },
      fresh(),
    );
    expect([...links.keys()]).toEqual([60]);
  });
});
