/**
 * This machine may be shared (builds, tests). A benchmark run that competes with other work for
 * its core measures the competition, so: wait for the machine to be quiet before a run, and
 * report how much CPU others took during it.
 */
import { othersPercent, sampleCores } from './proc.js';

/** Others may use this much of a core during a run before the run is called noisy. */
export const NOISE_LIMIT_PCT = 10;
const QUIET_PCT = 10;
const MAX_WAIT_MS = 180_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let attemptsAllowed = 4;

/** How often a disturbed run is tried before its numbers are kept (and flagged). */
export function attempts(): number {
  return attemptsAllowed;
}

let quietSecondsNeeded = 2;

/**
 * The smoke profile neither waits for a quiet machine nor repeats disturbed runs (it still flags
 * them): its numbers are not for quoting, and it must stay short.
 */
export function relaxForSmokeRuns(): void {
  quietSecondsNeeded = 0;
  attemptsAllowed = 1;
}

/** Waits until every core is below QUIET_PCT busy for two seconds in a row (at most three minutes). */
export async function waitForQuiet(log: (line: string) => void): Promise<void> {
  if (quietSecondsNeeded <= 0) return;
  const started = performance.now();
  let reported = false;
  let quietSeconds = 0;
  for (;;) {
    const from = sampleCores();
    await sleep(1000);
    const to = sampleCores();
    if (from === undefined || to === undefined) return;
    const busiest = Math.max(...othersPercent(from, to, []));
    quietSeconds = busiest < QUIET_PCT ? quietSeconds + 1 : 0;
    if (quietSeconds >= quietSecondsNeeded) return;
    if (busiest < QUIET_PCT) continue;
    if (performance.now() - started > MAX_WAIT_MS) {
      log(`    the machine stayed busy (a core at ${busiest.toFixed(0)}% from other processes); running anyway, the run will be flagged`);
      return;
    }
    if (!reported) {
      log(`    waiting for other processes to finish (a core at ${busiest.toFixed(0)}%)...`);
      reported = true;
    }
  }
}
