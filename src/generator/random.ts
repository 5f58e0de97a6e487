/**
 * A seeded pseudo-random source for generating test data: the same seed gives the same sequence on every
 * machine and Node version (Math.random cannot be seeded). sfc32 is small, fast in plain 32-bit integer
 * arithmetic and passes PractRand far beyond what a data generator draws.
 */

/** cyrb128: spreads a seed string over four 32-bit words so that similar seeds give unrelated streams. */
function seedWords(seed: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < seed.length; i++) {
    const ch = seed.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ ch, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ ch, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ ch, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ ch, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const TWO_TO_32 = 4294967296;
const HEX = '0123456789abcdef';
const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Random {
  readonly seed: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareGaussian: number | null = null;

  constructor(seed: string | number) {
    this.seed = String(seed);
    [this.a, this.b, this.c, this.d] = seedWords(this.seed);
    // The first outputs of sfc32 still show the seed's structure.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  /** An independent stream for one purpose, so that drawing more in one place does not shift another. */
  fork(label: string): Random {
    return new Random(`${this.seed}/${label}`);
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / TWO_TO_32;
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One item with probability proportional to its weight; for repeated picks from one list use WeightedPicker. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const weight of weights) total += weight;
    let target = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      target -= weights[i] as number;
      if (target < 0) return items[i] as T;
    }
    return items[items.length - 1] as T;
  }

  /**
   * Pareto-distributed, at least `minimum`: most draws are near the minimum, a few are huge. alpha near 1 is
   * very heavy-tailed (the mean barely exists); alpha 2 or more is tame.
   */
  pareto(minimum: number, alpha: number): number {
    return minimum * (1 - this.next()) ** (-1 / alpha);
  }

  /** An index in [0, n) with P(k) roughly ∝ 1/(k+1)^exponent: index 0 is the most common. */
  zipf(n: number, exponent: number): number {
    const u = this.next();
    let x: number;
    if (Math.abs(exponent - 1) < 1e-9) {
      x = Math.exp(u * Math.log(n + 1));
    } else {
      const power = 1 - exponent;
      x = ((n + 1) ** power * u + (1 - u)) ** (1 / power);
    }
    return Math.min(n - 1, Math.max(0, Math.floor(x) - 1));
  }

  /** Normally distributed (Box–Muller, the second value of each pair kept for the next call). */
  gaussian(mean = 0, deviation = 1): number {
    if (this.spareGaussian !== null) {
      const spare = this.spareGaussian;
      this.spareGaussian = null;
      return mean + deviation * spare;
    }
    const u = 1 - this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareGaussian = radius * Math.sin(2 * Math.PI * v);
    return mean + deviation * radius * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median: durations and latencies, skewed to the right. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.gaussian());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Shuffles in place (Fisher–Yates) and returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const held = items[i] as T;
      items[i] = items[j] as T;
      items[j] = held;
    }
    return items;
  }

  /** `length` random lowercase hex digits. */
  hex(length: number): string {
    let text = '';
    while (text.length < length) {
      const word = this.uint32();
      text += `${BYTE_HEX[word >>> 24]}${BYTE_HEX[(word >>> 16) & 255]}${BYTE_HEX[(word >>> 8) & 255]}${BYTE_HEX[word & 255]}`;
    }
    return text.length === length ? text : text.slice(0, length);
  }

  /** A hex digit string for a random-looking but collision-free id: the 32-bit counter through a bijection. */
  static hexOfCounter(counter: number): string {
    // The offset keeps counter 0 away from the finaliser's fixed point (0 → 00000000).
    let x = (counter + 0x6d2b79f5) >>> 0;
    // murmur3's finaliser is invertible on 32-bit words, so distinct counters give distinct outputs.
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    x = (x ^ (x >>> 16)) >>> 0;
    let text = '';
    for (let shift = 28; shift >= 0; shift -= 4) text += HEX[(x >>> shift) & 15];
    return text;
  }
}

/** Repeated weighted picks from a fixed list: cumulative weights and a binary search, O(log n) per pick. */
export class WeightedPicker<T> {
  readonly items: readonly T[];
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(items: readonly T[], weights: readonly number[]) {
    if (items.length === 0 || items.length !== weights.length) throw new RangeError('need one weight per item');
    this.items = items;
    this.cumulative = new Float64Array(items.length);
    let total = 0;
    for (let i = 0; i < items.length; i++) {
      total += weights[i] as number;
      this.cumulative[i] = total;
    }
    this.total = total;
  }

  pick(random: Random): T {
    return this.items[searchCumulative(this.cumulative, 0, this.cumulative.length, random.next() * this.total)] as T;
  }
}

/** The first index in [from, to) whose cumulative weight exceeds target (the last one if none does). */
export function searchCumulative(cumulative: Float64Array, from: number, to: number, target: number): number {
  let low = from;
  let high = to - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((cumulative[middle] as number) > target) high = middle;
    else low = middle + 1;
  }
  return low;
}
