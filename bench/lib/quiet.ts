/**
 * This machine may be shared (builds, tests). A benchmark run that competes with other work for
 * its core measures the competition, so: wait for the machine to be quiet before a run, and
 * report how much CPU others took during it.
 */
import { cpuPercent, othersPercent, sampleCores, sampleProcess } from './proc.js';

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

/** Servers this busy (summed, % of a core) still work off an earlier phase. */
const SERVERS_IDLE_PCT = 25;
const MAX_SETTLE_MS = 120_000;

/**
 * Waits until the servers together use less than SERVERS_IDLE_PCT of a core for a second (at most
 * two minutes), so that a phase which overloaded them does not hand its backlog (queued webhook
 * events, full socket buffers) to the next phase.
 */
export async function waitForServersIdle(pids: readonly number[], log: (line: string) => void): Promise<void> {
  const started = performance.now();
  let reported = false;
  for (;;) {
    const from = pids.map(sampleProcess);
    await sleep(1000);
    const to = pids.map(sampleProcess);
    let busy = 0;
    for (const [i, a] of from.entries()) {
      const b = to[i];
      if (a !== undefined && b !== undefined) busy += cpuPercent(a, b);
    }
    if (busy < SERVERS_IDLE_PCT) return;
    if (performance.now() - started > MAX_SETTLE_MS) {
      log(`    the servers are still busy (${busy.toFixed(0)}% of a core) after ${MAX_SETTLE_MS / 1000} s; going on`);
      return;
    }
    if (!reported) {
      log(`    waiting for the servers to work off the last phase (${busy.toFixed(0)}% of a core)...`);
      reported = true;
    }
  }
}
