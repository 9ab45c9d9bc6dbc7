import { describe, expect, it } from 'vitest';
import {
  AGENT_QUOTA_PATTERN,
  findQuotaMessage,
  parseResetTime,
  zoneOffsetMinutes,
} from './quota.js';

const nowMs = Date.parse('2026-11-26T12:00:00Z');
const at = (iso: string) => Date.parse(iso);

describe('parseResetTime', () => {
  it.each([
    ['Claude AI usage limit reached|1796313600', 0, 1_796_313_600_000],
    ['limit reached, resets at 1796313600123 ms', 0, 1_796_313_600_123],
    ['quota resets at 2026-11-26T15:30:00Z', 0, at('2026-11-26T15:30:00Z')],
    ['quota resets at 2026-11-26 15:30:00+01:00', 0, at('2026-11-26T14:30:00Z')],
    ['quota resets at 2026-11-26T15:30 (no zone: local)', 120, at('2026-11-26T13:30:00Z')],
    [
      "You've hit your usage limit. Try again in 2 hours 5 minutes.",
      0,
      nowMs + 2 * 3_600_000 + 5 * 60_000,
    ],
    ['rate limited, retry in 1h30m', 0, nowMs + 90 * 60_000],
    ['Too Many Requests: try again in 45s', 0, nowMs + 45_000],
    ['5-hour limit reached ∙ resets 3pm', 0, at('2026-11-26T15:00:00Z')],
    ['limit reached ∙ resets 3pm', 60, at('2026-11-26T14:00:00Z')],
    ['limit reached ∙ resets 9am (tomorrow, local)', 0, at('2026-11-27T09:00:00Z')],
    ["You've hit your limit · resets 7pm (Europe/Berlin)", 0, at('2026-11-26T18:00:00Z')],
    ['resets 12am', 0, at('2026-11-27T00:00:00Z')],
    ['try again at 13:05', 0, at('2026-11-26T13:05:00Z')],
  ])('%s (local offset %i min)', (text, utcOffsetMinutes, expected) => {
    expect(parseResetTime(text, { nowMs, utcOffsetMinutes })).toBe(expected);
  });

  it.each([
    ['usage limit reached'],
    ['rate limit reached at turn 5'],
    ['reset at 1500000000 (in the past)'],
    ['resets 25:00'],
    ['retry in a while'],
  ])('finds no reset time in %j', (text) => {
    expect(parseResetTime(text, { nowMs, utcOffsetMinutes: 0 })).toBeUndefined();
  });
});

describe('zoneOffsetMinutes', () => {
  it('reads an IANA zone offset from Intl, with daylight saving', () => {
    expect(zoneOffsetMinutes('Europe/Berlin', at('2026-01-15T12:00:00Z'))).toBe(60);
    expect(zoneOffsetMinutes('Europe/Berlin', at('2026-07-15T12:00:00Z'))).toBe(120);
    expect(zoneOffsetMinutes('America/New_York', at('2026-01-15T12:00:00Z'))).toBe(-300);
    expect(zoneOffsetMinutes('Not/AZone', nowMs)).toBeUndefined();
  });
});

describe('findQuotaMessage', () => {
  it('finds the newest usage-limit line of the agent CLIs in the field', () => {
    for (const line of [
      'Claude AI usage limit reached|1796313600',
      '5-hour limit reached ∙ resets 3pm',
      "You've hit your usage limit. Upgrade to Pro or try again in 2 hours.",
      'AI_APICallError: Rate limit reached for requests',
      'Error: 429 Too Many Requests',
      'status: RESOURCE_EXHAUSTED',
      'You exceeded your current quota, please check your plan',
    ]) {
      expect(findQuotaMessage(['working', line, 'bye'], AGENT_QUOTA_PATTERN)?.line).toBe(line);
    }
    expect(
      findQuotaMessage(['implemented the rate limiter', 'all done'], AGENT_QUOTA_PATTERN),
    ).toBeUndefined();
  });

  it('reads the reset time from the named group `reset` when the pattern has one', () => {
    expect(
      findQuotaMessage(
        ['BUDGET EXHAUSTED until=2026-11-26T15:00:00Z id=1700000000'],
        /budget exhausted until=(?<reset>\S+)/i,
      ),
    ).toEqual({
      line: 'BUDGET EXHAUSTED until=2026-11-26T15:00:00Z id=1700000000',
      resetText: '2026-11-26T15:00:00Z',
    });
  });
});
