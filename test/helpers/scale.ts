/**
 * Sizes, seeds and pacing for the reliability suites. `npm test` runs each
 * suite small; `npm run soak` sets SOAK=1 and the same suites run large.
 * Every random choice goes through a seeded PRNG whose seed is printed, so
 * a failure replays with SEED=<n>.
 */

export const SOAK = process.env.SOAK === '1';

/** `small` in npm test, `large` in the soak. */
export const scaled = <T>(small: T, large: T): T => (SOAK ? large : small);

/** mulberry32: a tiny, fast, seedable PRNG (public domain). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Rng {
  seed: number;
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** A seeded generator; the seed comes from SEED when set and is printed with the suite's name. */
export function seededRng(suite: string, seed = process.env.SEED ? Number(process.env.SEED) : Date.now() % 2 ** 31): Rng {
  process.stdout.write(`[${suite}] seed ${seed} (replay with SEED=${seed})\n`);
  return rngFrom(seed);
}

/** A generator of its own for one actor, drawn from `parent` (the parent's seed still replays everything). */
export const childRng = (parent: Rng): Rng => rngFrom(Math.floor(parent.next() * 2 ** 31));

function rngFrom(seed: number): Rng {
  const next = mulberry32(seed);
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}
