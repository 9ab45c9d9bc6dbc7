import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChunkInfo } from './output-stream.js';
import { OutputTee } from './tee.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tee-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const tee = (extra: Partial<ConstructorParameters<typeof OutputTee>[0]> = {}) =>
  new OutputTee({
    stdoutPath: join(dir, 'stdout.log'),
    stderrPath: join(dir, 'stderr.log'),
    ...extra,
  });
const out = (attempt = 1): ChunkInfo => ({ stream: 'stdout', attempt });

describe('OutputTee', () => {
  it('logs each stream, feeds subscribers in order, and remembers the tail', () => {
    const seen: string[] = [];
    const output = tee({ subscribers: [(chunk, info) => seen.push(`${info.stream}:${chunk}`)] });
    output.write(Buffer.from('a\n'), out());
    output.write(Buffer.from('oops\n'), { stream: 'stderr', attempt: 1 });
    const unsubscribe = output.subscribe((chunk) => seen.push(`late:${chunk}`));
    output.write(Buffer.from('b\n'), out());
    unsubscribe();
    output.write(Buffer.from('c\n'), out());
    output.close();
    expect(readFileSync(join(dir, 'stdout.log'), 'utf8')).toBe('a\nb\nc\n');
    expect(readFileSync(join(dir, 'stderr.log'), 'utf8')).toBe('oops\n');
    expect(seen).toEqual(['stdout:a\n', 'stderr:oops\n', 'stdout:b\n', 'late:b\n', 'stdout:c\n']);
    expect(output.runTail.lines(2)).toEqual(['b', 'c']);
    expect(output.bytes).toEqual({ stdout: 6, stderr: 5 });
  });

  it('keeps logging when a subscriber throws', () => {
    const output = tee({
      subscribers: [
        () => {
          throw new Error('bug in a subscriber');
        },
      ],
    });
    output.write(Buffer.from('still logged\n'), out());
    output.close();
    expect(readFileSync(join(dir, 'stdout.log'), 'utf8')).toBe('still logged\n');
  });

  it('sees the done marker only as a whole line, even split across chunks', () => {
    let marks = 0;
    const output = tee({ doneMarker: '## DONE', onMarker: () => marks++ });
    output.write(Buffer.from('prompt: print ## DONE when finished\n'), out());
    expect(output.markerSeen).toBe(false);
    output.write(Buffer.from('work\n##'), out());
    output.write(Buffer.from(' DO'), out());
    expect(output.markerSeen).toBe(false);
    output.write(Buffer.from('NE  \nafter\n'), out());
    expect(output.markerSeen).toBe(true);
    expect(marks).toBe(1);
    output.close();
  });

  it('sees a marker on a last line without a newline when the attempt ends', () => {
    const output = tee({ doneMarker: '## DONE' });
    output.write(Buffer.from('x\n## DONE'), out());
    expect(output.markerSeen).toBe(false);
    output.endAttempt();
    expect(output.markerSeen).toBe(true);
    output.close();
  });

  it('starts each attempt with an empty attempt tail but keeps the run tail', () => {
    const output = tee();
    output.write(Buffer.from('usage limit reached\n'), out(1));
    output.startAttempt();
    output.write(Buffer.from('fine\n'), out(2));
    expect(output.attemptLines(10)).toEqual(['fine']);
    expect(output.runTail.lines(10)).toEqual(['usage limit reached', 'fine']);
    output.close();
  });

  it('pauses the child pipe while a pass-through stream is full', async () => {
    const sink = new PassThrough({ highWaterMark: 4 });
    const output = tee({ stdout: sink });
    const source = new PassThrough();
    output.attach(source, 'stdout', 1);
    source.write(Buffer.from('0123456789'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.isPaused()).toBe(true);
    sink.read();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.isPaused()).toBe(false);
    output.close();
  });
});
