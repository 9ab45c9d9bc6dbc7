import { describe, expect, it } from 'vitest';
import { type ForceFacts, forceDecision, isSurvivorReason } from './outcome.js';

const base: ForceFacts = {
  linkedNow: false,
  carriesToken: false,
  startTicks: 1000,
  lastLinkedTick: 1050,
  pgidNow: 10,
  sidNow: 10,
  pgidThen: 10,
  sidThen: 10,
};

describe('forceDecision', () => {
  it.each<[string, Partial<ForceFacts>, ReturnType<typeof forceDecision>]>([
    ['linked to the tree now', { linkedNow: true, pgidNow: 99 }, 'kill'],
    [
      'carrying the run token, whatever else',
      { carriesToken: true, pgidNow: 99, sidNow: 99 },
      'kill',
    ],
    ['orphaned by the kill, same group and session, seen after its start tick', {}, 'kill'],
    ['moved to its own session (setsid) without the token', { sidNow: 77, pgidNow: 77 }, 'escaped'],
    ['moved to its own group (setpgid) without the token', { pgidNow: 77 }, 'escaped'],
    [
      'never seen past its first tick (start ticks prove nothing)',
      { lastLinkedTick: 1000 },
      'escaped',
    ],
    [
      'moved out, and its environment cannot be read',
      { sidNow: 77, token: { status: 'unreadable', code: 'EACCES' } },
      'unknown',
    ],
    ['moved out, environment reads empty', { sidNow: 77, token: { status: 'empty' } }, 'unknown'],
    ['moved out, token absent', { sidNow: 77, token: { status: 'absent' } }, 'escaped'],
  ])('%s → %s', (_name, facts, expected) => {
    expect(forceDecision({ ...base, ...facts })).toBe(expected);
  });
});

describe('isSurvivorReason', () => {
  it('is true only for the reasons of a process that is still alive', () => {
    expect(
      (
        [
          'exited',
          'killed',
          'reused',
          'zombie',
          'unknown',
          'escaped',
          'unkillable',
          'eperm',
        ] as const
      ).filter(isSurvivorReason),
    ).toEqual(['unknown', 'escaped', 'unkillable', 'eperm']);
  });
});
