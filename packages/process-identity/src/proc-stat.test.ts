import { describe, expect, it } from 'vitest';
import { parseProcStat, splitNul } from './proc-stat.js';

const line = (comm: string) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 1181 0 0 0 1 2 0 0 20 0 1 0 987654 10838016 783 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`;

describe('parseProcStat', () => {
  it('reads pid, state, ppid, pgid, sid and start ticks', () => {
    expect(parseProcStat(line('sleep'))).toEqual({
      pid: 4242,
      comm: 'sleep',
      state: 'S',
      ppid: 1,
      pgid: 4242,
      sid: 4242,
      startTicks: 987654,
    });
  });

  it('keeps a command name that holds spaces and parentheses', () => {
    const parsed = parseProcStat(line('we(i) rd) ) S'));
    expect(parsed?.comm).toBe('we(i) rd) ) S');
    expect(parsed?.startTicks).toBe(987654);
    expect(parsed?.ppid).toBe(1);
  });

  it('returns null for a line that is not a stat line', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('12 (x) S 1')).toBeNull();
  });
});

describe('splitNul', () => {
  it('splits a NUL-separated command line and drops the trailing empty entry', () => {
    expect(splitNul(Buffer.from('node\0app.js\0--flag\0'))).toEqual(['node', 'app.js', '--flag']);
  });

  it('gives an empty list for an empty buffer (kernel thread, zombie, mid-exec)', () => {
    expect(splitNul(Buffer.alloc(0))).toEqual([]);
  });
});
