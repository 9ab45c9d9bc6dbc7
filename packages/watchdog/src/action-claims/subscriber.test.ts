import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '@runwarden/test-utils';
import { describe, expect, it } from 'vitest';
import type { ChunkInfo } from '../output-stream.js';
import { classifyActionClaim } from './classify.js';
import { CLAIM_GATE } from './phrases.js';
import { createActionClaimSubscriber, type HeardActionClaim } from './subscriber.js';
import { isFence } from './text.js';

const table: { text: string }[] = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../test/fixtures/action-claims.json'), 'utf8'),
);

const WORDS = [
  "I'll",
  'I’ll',
  'I will',
  "I'm",
  'I’m',
  'I am',
  'let me',
  'Let me',
  'going to',
  'about to',
  'gonna',
  'now',
  'Now',
  'right away',
  'immediately',
  'shortly',
  'in a moment',
  'restart',
  'restarting',
  'push',
  'pushing',
  'Pushing',
  'merge',
  'merging',
  'deploy',
  'tag',
  'open a PR',
  'roll it back',
  'reran',
  'rebooting',
  'committing',
  'releasing',
  'publishing',
  'killing',
  'stopping',
  'starting',
  'reverting',
  'rebasing',
  'force-pushing',
  'redeploying',
  'relaunching',
  're-running',
  'rolling back',
  'opening a PR',
  'the server',
  'it',
  'the fix',
  'not',
  'if',
  'once',
  'Done.',
  'OK,',
  '?',
  '.',
  ',',
  '—',
  '"',
  '`',
  '```',
  '>',
  '    ',
  'He',
  'The script',
  'please',
  '\u00a0',
  'é',
  '🚀',
  '\r',
  'I',
  'll',
  'm',
];

/** A line of random words from a vocabulary full of claim parts, odd spaces and multibyte characters. */
function randomLine(next: () => number): string {
  const count = 1 + Math.floor(next() * 9);
  const words: string[] = [];
  for (let index = 0; index < count; index++) words.push(WORDS[Math.floor(next() * WORDS.length)]!);
  return words.join(next() < 0.8 ? ' ' : '');
}

/** What classifying every line gives, with fenced blocks skipped: the reference. */
function perLine(text: string): { verb: string; line: string }[] {
  const claims: { verb: string; line: string }[] = [];
  let inFence = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (isFence(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    const verdict = classifyActionClaim(line);
    if (verdict.claim) claims.push({ verb: verdict.verb, line });
  }
  return claims;
}

/** Feeds `text` to a new subscriber in chunks cut at random, then flushes it. */
function heard(
  text: string,
  next: () => number,
  options: { maxChunk?: number; info?: ChunkInfo } = {},
): HeardActionClaim[] {
  const claims: HeardActionClaim[] = [];
  const subscriber = createActionClaimSubscriber({ onClaim: (claim) => claims.push(claim) });
  const bytes = Buffer.from(text);
  const info = options.info ?? { stream: 'stdout', attempt: 1 };
  for (let start = 0; start < bytes.length; ) {
    const size = 1 + Math.floor(next() * (options.maxChunk ?? 300));
    subscriber(bytes.subarray(start, start + size), info);
    start += size;
  }
  subscriber.flush();
  return claims;
}

describe('createActionClaimSubscriber', () => {
  it('hears exactly the claims of classifying every line, wherever the chunks are cut', () => {
    const next = seededRandom(14);
    const lines = [
      ...table.map((row) => row.text.replace(/\n/g, ' ')),
      '```',
      "I'll push it now.",
      '```',
    ];
    for (let index = 0; index < 2000; index++) lines.push(randomLine(next));
    const transcript = lines.sort(() => next() - 0.5).join('\n');
    const reference = perLine(transcript);
    expect(reference.length).toBeGreaterThan(60);
    for (const maxChunk of [1, 7, 300, 70_000]) {
      const got = heard(transcript, next, { maxChunk });
      expect(got.map((claim) => ({ verb: claim.verb, line: claim.line }))).toEqual(reference);
    }
  });

  it('only ever claims a line that passes the fast gate as latin1 bytes', () => {
    const next = seededRandom(7);
    let claims = 0;
    for (let index = 0; index < 20_000; index++) {
      const line = randomLine(next);
      if (!classifyActionClaim(line).claim) continue;
      claims++;
      expect(CLAIM_GATE.test(Buffer.from(line).toString('latin1')), line).toBe(true);
    }
    expect(claims).toBeGreaterThan(100);
  });

  it('reports the line, stream and attempt, and a last line without a break on flush', () => {
    const claims: HeardActionClaim[] = [];
    const subscriber = createActionClaimSubscriber({ onClaim: (claim) => claims.push(claim) });
    subscriber(Buffer.from('working\r\nRelaunching now.\r\nI’ll push the fix'), {
      stream: 'stderr',
      attempt: 2,
    });
    expect(claims).toHaveLength(1);
    subscriber.flush();
    expect(claims).toEqual([
      {
        claim: true,
        verb: 'relaunch',
        reason: 'sentence-initial-participle',
        sentence: 'Relaunching now.',
        line: 'Relaunching now.',
        stream: 'stderr',
        attempt: 2,
      },
      {
        claim: true,
        verb: 'push',
        object: 'the fix',
        reason: 'first-person-future',
        sentence: "I'll push the fix",
        line: 'I’ll push the fix',
        stream: 'stderr',
        attempt: 2,
      },
    ]);
  });

  it('ends an attempt’s unfinished line and code fence when the next attempt starts', () => {
    const claims: HeardActionClaim[] = [];
    const subscriber = createActionClaimSubscriber({ onClaim: (claim) => claims.push(claim) });
    subscriber(Buffer.from('```\nI will deploy it'), { stream: 'stdout', attempt: 1 });
    subscriber(Buffer.from('I will deploy it\n'), { stream: 'stdout', attempt: 2 });
    expect(claims.map((claim) => claim.attempt)).toEqual([2]);
  });

  it('listens to the streams asked for, and survives a listener that throws', () => {
    const claims: string[] = [];
    const subscriber = createActionClaimSubscriber({
      streams: ['stdout'],
      onClaim: (claim) => {
        claims.push(claim.line);
        throw new Error('listener bug');
      },
    });
    subscriber(Buffer.from("I'll push it.\n"), { stream: 'stderr', attempt: 1 });
    subscriber(Buffer.from("I'll merge it.\nI'll tag v1.\n"), { stream: 'stdout', attempt: 1 });
    expect(claims).toEqual(["I'll merge it.", "I'll tag v1."]);
  });

  it('classifies the text a toText extractor gives (an agent’s JSON event lines)', () => {
    const claims: string[] = [];
    const subscriber = createActionClaimSubscriber({
      toText: (line) => {
        try {
          const event = JSON.parse(line) as { type?: string; text?: string };
          return event.type === 'text' ? (event.text ?? null) : null;
        } catch {
          return null;
        }
      },
      onClaim: (claim) => claims.push(claim.verb),
    });
    const lines = [
      { type: 'text', text: 'I\u2019ll restart the server now.' },
      { type: 'tool_use', text: "I'll push it." },
      { type: 'text', text: 'Did you merge it?' },
    ];
    subscriber(Buffer.from(`${lines.map((line) => JSON.stringify(line)).join('\n')}\n`), {
      stream: 'stdout',
      attempt: 1,
    });
    expect(claims).toEqual(['restart']);
  });

  it('reads at most maxLineBytes of a line', () => {
    const claims: string[] = [];
    const subscriber = createActionClaimSubscriber({
      maxLineBytes: 16,
      onClaim: (claim) => claims.push(claim.line),
    });
    subscriber(Buffer.from(`${'x'.repeat(40)} I'll push it.\nI'll push it. ${'x'.repeat(40)}\n`), {
      stream: 'stdout',
      attempt: 1,
    });
    expect(claims).toEqual(["I'll push it. xx"]);
  });
});
