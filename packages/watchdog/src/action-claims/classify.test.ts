import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyActionClaim, MAX_CLAIM_TEXT_CHARS } from './classify.js';
import { CLAIM_GATE } from './phrases.js';
import { REJECTION_PRIORITY } from './reasons.js';
import { VERB_STEM } from './verbs.js';

interface Row {
  text: string;
  claim: boolean;
  verb?: string;
  object?: string | null;
  reason: string;
  source: 'instar' | 'instar-review' | 'issue' | 'runwarden';
  note?: string;
}

const table: Row[] = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../test/fixtures/action-claims.json'), 'utf8'),
);

describe('the action-claim truth table', () => {
  it('has at least 60 rows, both sides well covered, and the eight false positives of instar’s review', () => {
    expect(table.length).toBeGreaterThanOrEqual(60);
    expect(table.filter((row) => row.claim).length).toBeGreaterThanOrEqual(30);
    expect(table.filter((row) => !row.claim).length).toBeGreaterThanOrEqual(30);
    const review = table.filter((row) => row.source === 'instar-review');
    expect(review).toHaveLength(8);
    expect(review.every((row) => !row.claim)).toBe(true);
    expect(review.map((row) => row.text)).toEqual(
      expect.arrayContaining([
        'Did you restart it?',
        'Please merge the PR',
        'He is deploying it',
        'The script reverts the commit when a test fails.',
      ]),
    );
    const reasons = new Set(table.map((row) => row.reason));
    for (const reason of REJECTION_PRIORITY) expect(reasons).toContain(reason);
  });

  for (const row of table) {
    it(`${row.claim ? 'claims' : 'does not claim'} ${JSON.stringify(row.text)} (${row.reason})`, () => {
      const verdict = classifyActionClaim(row.text);
      if (row.claim) {
        expect(verdict).toMatchObject({ claim: true, verb: row.verb, reason: row.reason });
        expect(verdict.claim && verdict.object).toBe(row.object ?? undefined);
      } else {
        expect(verdict).toEqual({ claim: false, reason: row.reason });
      }
    });
  }
});

describe('classifyActionClaim', () => {
  it('reports the claiming sentence as written', () => {
    expect(classifyActionClaim('Tests are green. Done. Pushing `main` now! Next?')).toEqual({
      claim: true,
      verb: 'push',
      object: '`main`',
      reason: 'sentence-initial-participle',
      sentence: 'Pushing `main` now!',
    });
  });

  it('reads a whole turn: the first claim wins, and a fenced block is code', () => {
    const turn = [
      'The build failed on the flaky test.',
      '```sh',
      'echo "I\'ll deploy it now"',
      '```',
      "I'll rerun the job, then merge the PR.",
    ].join('\n');
    expect(classifyActionClaim(turn)).toMatchObject({
      claim: true,
      verb: 'rerun',
      object: 'the job',
    });
    expect(classifyActionClaim(turn.split('\n').slice(0, 4).join('\n'))).toEqual({
      claim: false,
      reason: 'code',
    });
  });

  it('is deterministic and never throws on odd input', () => {
    for (const text of ['', '\u0000', '"', '`', '```', 'I’ll', '\ue000 now', 'x'.repeat(100_000)]) {
      expect(classifyActionClaim(text)).toEqual(classifyActionClaim(text));
    }
    expect(classifyActionClaim(undefined as unknown as string)).toEqual({
      claim: false,
      reason: 'empty',
    });
  });

  it(`reads at most ${MAX_CLAIM_TEXT_CHARS} characters`, () => {
    const filler = `${'a '.repeat(MAX_CLAIM_TEXT_CHARS / 2)}\n`;
    expect(classifyActionClaim(`${filler}I'll restart the server.`)).toEqual({
      claim: false,
      reason: 'no-action-verb',
    });
    expect(classifyActionClaim(`I'll restart the server.\n${filler}`).claim).toBe(true);
  });

  it('only claims what passes the fast gate and the verb stems, as text and as latin1 bytes', () => {
    for (const row of table.filter((entry) => entry.claim)) {
      expect(CLAIM_GATE.test(row.text)).toBe(true);
      const latin1 = Buffer.from(row.text).toString('latin1');
      expect(CLAIM_GATE.test(latin1)).toBe(true);
      expect(VERB_STEM.test(latin1.replace(/[*_]/g, ''))).toBe(true);
    }
  });
});
