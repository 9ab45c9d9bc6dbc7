/**
 * The last `capBytes` of a byte stream, copied into one fixed ring buffer (so
 * the pipe's chunks die young and their memory goes with the next minor GC);
 * lines are made only when asked for.
 */
export class TailBuffer {
  private readonly ring: Buffer;
  private end = 0;
  private filled = false;
  private total = 0;
  private markAt = 0;

  /** @param capBytes - how many trailing bytes to keep. @default 65536 */
  constructor(private readonly capBytes = 65_536) {
    this.ring = Buffer.alloc(capBytes);
  }

  /** Copies the chunk's bytes in (its last `capBytes` at most). */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    const source = chunk.length > this.capBytes ? chunk.subarray(-this.capBytes) : chunk;
    const first = Math.min(source.length, this.capBytes - this.end);
    source.copy(this.ring, this.end, 0, first);
    if (first < source.length) source.copy(this.ring, 0, first);
    const next = this.end + source.length;
    if (next >= this.capBytes) this.filled = true;
    this.end = next % this.capBytes;
  }

  /** Forgets everything. */
  clear(): void {
    this.end = 0;
    this.filled = false;
    this.total = 0;
    this.markAt = 0;
  }

  /** Remembers the current end, for {@link TailBuffer.linesSinceMark}. */
  mark(): void {
    this.markAt = this.total;
  }

  /**
   * The last complete and partial lines, oldest first.
   *
   * @param count - at most this many lines.
   * @returns lines without their `\n` (a `\r` before it is dropped too).
   */
  lines(count: number): string[] {
    return this.linesOf(this.total, count);
  }

  /**
   * Like {@link TailBuffer.lines}, but only of the bytes pushed since the last {@link TailBuffer.mark}.
   *
   * @param count - at most this many lines.
   * @returns lines without their `\n`.
   */
  linesSinceMark(count: number): string[] {
    return this.linesOf(this.total - this.markAt, count);
  }

  private linesOf(lastBytes: number, count: number): string[] {
    const kept = this.filled
      ? Buffer.concat([this.ring.subarray(this.end), this.ring.subarray(0, this.end)])
      : this.ring.subarray(0, this.end);
    const wanted = kept.subarray(Math.max(0, kept.length - lastBytes));
    const lines = wanted.toString('utf8').split('\n');
    // A cut in the middle of a line leaves its end only: drop it.
    if (lastBytes > this.capBytes) lines.shift();
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-count).map((line) => line.replace(/\r$/, ''));
  }
}
