import { describe, expect, it } from 'vitest';
import { TailBuffer } from './tail-buffer.js';

describe('TailBuffer', () => {
  it('keeps the last lines within its cap, a partial last line included', () => {
    const tail = new TailBuffer(16);
    for (const piece of ['one\ntwo\n', 'three\nfour\n', 'fi', 've']) tail.push(Buffer.from(piece));
    expect(tail.lines(3)).toEqual(['three', 'four', 'five']);
    expect(tail.lines(50)).toEqual(['three', 'four', 'five']);
    tail.mark();
    expect(tail.linesSinceMark(5)).toEqual([]);
    tail.push(Buffer.from('\nsix\n'));
    expect(tail.linesSinceMark(5)).toEqual(['', 'six']);
  });
});
