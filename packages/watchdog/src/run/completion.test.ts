import { describe, expect, it } from 'vitest';
import { type CompletionFacts, type CompletionVerdict, judgeCompletion } from './completion.js';

const none = { doneSignal: false, checkCommand: false, isComplete: false };
const facts = (overrides: Partial<CompletionFacts>): CompletionFacts => ({
  predicates: none,
  exitedZero: false,
  quotaHit: false,
  doneFileFresh: false,
  markerSeen: false,
  ...overrides,
});

describe('judgeCompletion', () => {
  it.each<[string, Partial<CompletionFacts>, CompletionVerdict]>([
    // No predicate: the exit code is the verdict.
    ['no predicate: exit 0 completes', { exitedZero: true }, { state: 'complete', by: 'exit-0' }],
    [
      'no predicate: any other end does not',
      { exitedZero: false },
      { state: 'incomplete', why: 'not-exit-0' },
    ],
    [
      'no predicate: exit 0 after a quota message does not',
      { exitedZero: true, quotaHit: true },
      { state: 'incomplete', why: 'quota' },
    ],
    // A DONE file or marker.
    [
      'done signal: a fresh DONE file completes',
      { predicates: { ...none, doneSignal: true }, doneFileFresh: true },
      { state: 'complete', by: 'done-file' },
    ],
    [
      'done signal: the marker completes',
      { predicates: { ...none, doneSignal: true }, markerSeen: true },
      { state: 'complete', by: 'marker' },
    ],
    [
      'done signal: the DONE file wins over the marker',
      { predicates: { ...none, doneSignal: true }, doneFileFresh: true, markerSeen: true },
      { state: 'complete', by: 'done-file' },
    ],
    [
      'done signal: exit 0 without one is no completion',
      { predicates: { ...none, doneSignal: true }, exitedZero: true },
      { state: 'incomplete', why: 'no-done-signal' },
    ],
    [
      'done signal: a quota message does not matter once it is there',
      { predicates: { ...none, doneSignal: true }, markerSeen: true, quotaHit: true },
      { state: 'complete', by: 'marker' },
    ],
    // The check command.
    [
      'check: asked for once the DONE file is there',
      { predicates: { ...none, doneSignal: true, checkCommand: true }, doneFileFresh: true },
      { state: 'pending', needs: 'check' },
    ],
    [
      'check: never asked for without the DONE file',
      { predicates: { ...none, doneSignal: true, checkCommand: true } },
      { state: 'incomplete', why: 'no-done-signal' },
    ],
    [
      'check: passing after the DONE file completes by both',
      {
        predicates: { ...none, doneSignal: true, checkCommand: true },
        doneFileFresh: true,
        check: { passed: true },
      },
      { state: 'complete', by: 'done-file+check' },
    ],
    [
      'check: passing after the marker completes by both',
      {
        predicates: { ...none, doneSignal: true, checkCommand: true },
        markerSeen: true,
        check: { passed: true },
      },
      { state: 'complete', by: 'marker+check' },
    ],
    [
      'check: alone, asked for whatever the exit',
      { predicates: { ...none, checkCommand: true }, exitedZero: false },
      { state: 'pending', needs: 'check' },
    ],
    [
      'check: alone and passing completes',
      { predicates: { ...none, checkCommand: true }, check: { passed: true } },
      { state: 'complete', by: 'check' },
    ],
    [
      'check: failing is no completion',
      { predicates: { ...none, checkCommand: true }, exitedZero: true, check: { passed: false } },
      { state: 'incomplete', why: 'check-failed' },
    ],
    // isComplete.
    [
      'isComplete: asked for when it is the only predicate',
      { predicates: { ...none, isComplete: true } },
      { state: 'pending', needs: 'is-complete' },
    ],
    [
      'isComplete: true completes by predicate',
      { predicates: { ...none, isComplete: true }, isComplete: true },
      { state: 'complete', by: 'predicate' },
    ],
    [
      'isComplete: false is no completion',
      { predicates: { ...none, isComplete: true }, exitedZero: true, isComplete: false },
      { state: 'incomplete', why: 'predicate-false' },
    ],
    [
      'isComplete: asked for only after the check passed',
      {
        predicates: { doneSignal: false, checkCommand: true, isComplete: true },
        check: { passed: true },
      },
      { state: 'pending', needs: 'is-complete' },
    ],
    [
      'isComplete: never asked for after a failed check',
      {
        predicates: { doneSignal: false, checkCommand: true, isComplete: true },
        check: { passed: false },
      },
      { state: 'incomplete', why: 'check-failed' },
    ],
    [
      'all three holding: completes by the first proof and the check',
      {
        predicates: { doneSignal: true, checkCommand: true, isComplete: true },
        markerSeen: true,
        check: { passed: true },
        isComplete: true,
      },
      { state: 'complete', by: 'marker+check' },
    ],
  ])('%s', (_title, overrides, verdict) => {
    expect(judgeCompletion(facts(overrides))).toEqual(verdict);
  });
});
