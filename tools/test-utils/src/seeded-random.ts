/**
 * A seeded pseudo-random generator (mulberry32, Tommy Ettinger's 32-bit
 * generator), so a generated input can be replayed from its seed.
 * Not for anything that must be unpredictable.
 *
 * @param seed - any 32-bit integer.
 * @returns a function giving the next number in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
