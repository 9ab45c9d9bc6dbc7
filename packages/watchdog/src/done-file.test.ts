import { describe, expect, it } from 'vitest';
import { isFreshDoneFile } from './done-file.js';

const file = (ino: number, mtimeNs: number) => ({ ino: BigInt(ino), mtimeNs: BigInt(mtimeNs) });

describe('isFreshDoneFile', () => {
  it('is false while the file is missing', () => {
    expect(isFreshDoneFile(null, null)).toBe(false);
    expect(isFreshDoneFile(file(1, 100), null)).toBe(false);
  });

  it('is true for a file that was not there at the start', () => {
    expect(isFreshDoneFile(null, file(1, 100))).toBe(true);
  });

  it('is false for the same file, unchanged since the start', () => {
    expect(isFreshDoneFile(file(1, 100), file(1, 100))).toBe(false);
  });

  it('is true once its modification time moves, either way, or it is another file', () => {
    expect(isFreshDoneFile(file(1, 100), file(1, 101))).toBe(true);
    expect(isFreshDoneFile(file(1, 100), file(1, 99))).toBe(true);
    expect(isFreshDoneFile(file(1, 100), file(2, 100))).toBe(true);
  });
});
