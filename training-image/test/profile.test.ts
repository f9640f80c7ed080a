import { Frame } from '../src/data/frame';
import { bucketCount, bucketOf, profileFrame } from '../src/models/profile';

/** A seeded stream of numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('profileFrame', () => {
  // The server puts each live value in a bucket with bucketOf and compares the bucket frequencies with the
  // profile's (PSI): the training frequencies must be exactly bucketOf's buckets counted over the training rows.
  it('gives each bucket the fraction of training rows bucketOf puts in it (numbers with NaN, text with tracked, other and missing values)', () => {
    const rand = lcg(7);
    const n = 997;
    const num = new Float64Array(n);
    const text: (string | null)[] = [];
    for (let r = 0; r < n; r++) {
      // Ties, NaN and signed zeros (−0 counts as 0 for the edges, as bucketOf compares).
      num[r] = rand() < 0.1 ? NaN : rand() < 0.05 ? -0 : Math.round(rand() * 50) / 2 - 2;
      const u = rand();
      // 30 categories with skewed counts, so that 5 are tracked and the rest fall into "other"; some missing.
      text.push(u < 0.07 ? null : `c${Math.floor(30 * u * u)}`);
    }
    const frame = new Frame([
      { name: 'x', type: 'number', values: num },
      { name: 's', type: 'string', values: text },
    ]);
    const profile = profileFrame(frame, ['x', 's'], { bins: 8, maxCategories: 5 });
    expect(profile.rows).toBe(n);
    const [x, s] = profile.columns;
    expect(s!.categories).toHaveLength(5);
    for (const [p, values] of [
      [x!, num],
      [s!, text],
    ] as const) {
      const counts = new Array<number>(bucketCount(p)).fill(0);
      for (const v of values) counts[bucketOf(p, v)]!++;
      expect(p.freq).toEqual(counts.map((c) => c / n));
      expect(counts[counts.length - 1]).toBeGreaterThan(0); // missing values were counted
    }
    expect(s!.freq[5]).toBeGreaterThan(0); // the "other" bucket is used
  });

  it('puts a text column without missing values in its buckets too (the missing bucket is 0)', () => {
    const values = ['b', 'a', 'b', 'c', 'b', 'a'];
    const p = profileFrame(new Frame([{ name: 't', type: 'string', values }]), ['t'], { maxCategories: 2 }).columns[0]!;
    expect(p.categories).toEqual(['b', 'a']);
    expect(p.freq).toEqual([3 / 6, 2 / 6, 1 / 6, 0]);
  });
});
