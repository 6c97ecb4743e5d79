/**
 * A small seeded PRNG (mulberry32): every random choice of a run comes from the run's
 * recorded seed, so the same scenario and seed always pick the same VMs.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh seed for runs whose scenario names none; recorded with the run. */
export function newSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

/** `k` distinct items, chosen by a partial Fisher–Yates shuffle; order follows the input. */
export function sampleDistinct<T>(items: readonly T[], k: number, random: Random): T[] {
  const idx = items.map((_, i) => i);
  for (let i = 0; i < k && i < idx.length; i++) {
    const j = i + Math.floor(random() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, k).sort((a, b) => a - b).map((i) => items[i]!);
}
