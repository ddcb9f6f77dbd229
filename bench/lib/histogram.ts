/**
 * A log-linear histogram of non-negative integer values (the harness records microseconds).
 * Values below 256 are exact; above, each power of two is split into 128 buckets, so any
 * recorded value is reported within 0.8% of itself. Histograms merge by adding counts, which
 * is how runs and receivers are combined (percentiles are never averaged).
 */

const SUB_BITS = 8;
const SUB = 1 << SUB_BITS;
const HALF = SUB >> 1;
/** 2^31 µs is about 36 minutes: nothing a benchmark run waits for. */
const MAX_VALUE = 0x7fff_ffff;
const BUCKETS = SUB + (31 - SUB_BITS) * HALF;

export interface HistogramSnapshot {
  /** Pairs of [bucket index, count] for non-empty buckets. */
  readonly buckets: readonly (readonly [number, number])[];
  readonly min: number;
  readonly max: number;
  readonly sum: number;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = 0;

  get count(): number {
    return this.total;
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minValue;
  }

  get max(): number {
    return this.maxValue;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  record(value: number): void {
    const v = value <= 0 ? 0 : value >= MAX_VALUE ? MAX_VALUE : Math.round(value);
    this.counts[bucketOf(v)]! += 1;
    this.total += 1;
    this.sum += v;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
  }

  /** The value at quantile `q` (0..1): the middle of the bucket holding it, capped at the max. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i += 1) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxValue, Math.max(this.minValue, middleOf(i)));
    }
    return this.maxValue;
  }

  add(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i += 1) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.total > 0) {
      this.minValue = Math.min(this.minValue, other.minValue);
      this.maxValue = Math.max(this.maxValue, other.maxValue);
    }
  }

  snapshot(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i += 1) {
      const c = this.counts[i]!;
      if (c > 0) buckets.push([i, c]);
    }
    return { buckets, min: this.min, max: this.maxValue, sum: this.sum };
  }

  static from(snapshot: HistogramSnapshot): Histogram {
    const h = new Histogram();
    for (const [index, count] of snapshot.buckets) {
      h.counts[index] = count;
      h.total += count;
    }
    h.sum = snapshot.sum;
    h.maxValue = snapshot.max;
    h.minValue = h.total === 0 ? Number.POSITIVE_INFINITY : snapshot.min;
    return h;
  }
}

function bucketOf(v: number): number {
  if (v < SUB) return v;
  const exponent = 31 - Math.clz32(v);
  const shift = exponent - SUB_BITS + 1;
  return SUB + (shift - 1) * HALF + ((v >>> shift) - HALF);
}

function middleOf(index: number): number {
  if (index < SUB) return index;
  const shift = Math.floor((index - SUB) / HALF) + 1;
  const top = ((index - SUB) % HALF) + HALF;
  const width = 2 ** shift;
  return top * width + (width - 1) / 2;
}
