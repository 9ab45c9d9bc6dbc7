import { describe, expect, it } from 'vitest';
import { EventFeed } from './event-feed.js';

const ids = (entries: { id: number }[]) => entries.map((entry) => entry.id);

describe('EventFeed', () => {
  it('numbers events in order and hands them to subscribers', () => {
    const feed = new EventFeed('s1', 10);
    const seen: number[] = [];
    const stop = feed.subscribe((entry) => seen.push(entry.id));
    feed.publish('supervisor', null, { type: 'supervisor-started', seq: 1 });
    feed.publish('run', 'builder', { type: 'spawned', pid: 7 });
    stop();
    feed.publish('run', 'builder', { type: 'exited' });
    expect(seen).toEqual([1, 2]);
    expect(feed.lastId).toBe(3);
    expect(JSON.parse(feed.after(1).entries[0]!.data)).toEqual({
      source: 'run',
      loop: 'builder',
      type: 'spawned',
      pid: 7,
    });
  });

  it('resumes after a Last-Event-ID of this session, from the start for another one', () => {
    const feed = new EventFeed('s1', 10);
    for (let index = 0; index < 5; index++) feed.publish('run', 'a', { n: index });
    expect(feed.idOf(feed.after(0).entries[2]!)).toBe('s1-3');
    expect(feed.parseId('s1-3')).toBe(3);
    expect(ids(feed.after(feed.parseId('s1-3')).entries)).toEqual([4, 5]);
    expect(feed.parseId('other-3')).toBe(0);
    expect(feed.parseId('garbage')).toBe(0);
    expect(feed.parseId(undefined)).toBe(0);
    // An id from the future is capped: nothing is skipped when the feed catches up.
    expect(feed.parseId('s1-99')).toBe(5);
  });

  it('holds the newest `capacity` events and says how many a late client missed', () => {
    const feed = new EventFeed('s1', 4);
    for (let index = 0; index < 11; index++) feed.publish('run', 'a', { n: index });
    expect(ids(feed.after(0).entries)).toEqual([8, 9, 10, 11]);
    expect(feed.after(0).missed).toBe(7);
    expect(feed.after(8)).toMatchObject({ missed: 0 });
    expect(ids(feed.after(8).entries)).toEqual([9, 10, 11]);
    expect(feed.after(5).missed).toBe(2);
    expect(ids(feed.after(11).entries)).toEqual([]);
  });
});
