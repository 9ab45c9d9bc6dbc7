import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { english, firstIssue } from './english.js';

describe('english', () => {
  it("gives one parse classic zod's English messages", () => {
    const schema = z.object({
      name: z.string(),
      count: z.number().check(z.int(), z.positive()),
      token: z.optional(z.string().check(z.minLength(8))),
    });
    const issues = (value: unknown) => schema.safeParse(value, english()).error?.issues;
    expect(issues({ name: 1, count: 1 })?.[0]?.message).toBe(
      'Invalid input: expected string, received number',
    );
    expect(issues({ name: 'a', count: 0 })?.[0]?.message).toBe(
      'Too small: expected number to be >0',
    );
    expect(issues({ name: 'a', count: 1.5 })?.[0]?.message).toBe(
      'Invalid input: expected int, received number',
    );
    expect(issues({ name: 'a', count: 1, token: 'short' })?.[0]?.message).toBe(
      'Too small: expected string to have >=8 characters',
    );
  });

  it("keeps a schema's own message, and leaves the global zod config alone", () => {
    const schema = z.string({ error: 'must be text' });
    expect(schema.safeParse(1, english()).error?.issues[0]?.message).toBe('must be text');
    expect(z.config().localeError).toBeUndefined();
    expect(z.string().safeParse(1).error?.issues[0]?.message).toBe('Invalid input');
  });

  it('is one object, built once', () => {
    expect(english()).toBe(english());
    expect(Object.isFrozen(english())).toBe(true);
  });

  it('gives the first issue as path: message, naming the whole value at the top', () => {
    const schema = z.object({ run: z.object({ id: z.string() }) });
    const nested = schema.safeParse({ run: { id: 1 } }, english());
    expect(firstIssue(nested.error!, 'record')).toBe(
      'run.id: Invalid input: expected string, received number',
    );
    const top = schema.safeParse(7, english());
    expect(firstIssue(top.error!, 'record')).toBe(
      'record: Invalid input: expected object, received number',
    );
    expect(firstIssue({ issues: [] }, 'file')).toBe('file: invalid');
  });
});
