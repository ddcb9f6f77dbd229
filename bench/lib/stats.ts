/** Medians, spreads and number formatting for the tables. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1000 && digits <= 1) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

/** "median (min–max)" over runs; just the value for one run. */
export function spread(values: readonly number[], digits = 1): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return 'n/a';
  const m = fmt(median(finite), digits);
  if (finite.length === 1) return m;
  return `${m} (${fmt(Math.min(...finite), digits)}–${fmt(Math.max(...finite), digits)})`;
}

export function percent(part: number, whole: number, digits = 2): string {
  if (whole <= 0) return 'n/a';
  return `${((100 * part) / whole).toFixed(digits)}%`;
}

export function thousands(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

/** "10k", "50k", "1.5k" */
export function kilo(value: number): string {
  if (value < 1000) return String(value);
  const k = value / 1000;
  return `${Number.isInteger(k) ? k : k.toFixed(1)}k`;
}
