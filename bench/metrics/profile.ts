/**
 * Where the servers spend their CPU under M1's load: each runs with `--cpu-prof` at 50k and 100k
 * deliveries/s and the profiles are summarized by function and by file.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSummary, summarize, type CpuProfile } from '../lib/cpuprofile.js';
import type { BenchOptions } from '../lib/options.js';
import { fmt, kilo } from '../lib/stats.js';
import { FANOUT_VARIANTS } from '../lib/systems.js';
import { readFileSync } from 'node:fs';
import { log } from './common.js';
import { describeRun, fanoutRun } from './fanout.js';

export const PROFILE_RATES = [50_000, 100_000];

export async function runProfile(options: BenchOptions): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'bench-profiles-'));
  const parts: string[] = [];
  for (const system of options.systems) {
  for (const rate of PROFILE_RATES) {
    const dir = join(root, system, kilo(rate));
    const measureS = Math.min(options.measureS, 15);
    const run = await fanoutRun(FANOUT_VARIANTS[system], rate, options.warmupS, measureS, options, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    log(`  profile ${system} ${kilo(rate)}/s (under the profiler): ${describeRun(run)}`);
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    } catch {
      // no profile written
    }
    if (files.length === 0) {
      parts.push(`${FANOUT_VARIANTS[system].label}, ${kilo(rate)} deliveries/s: no profile was written (${run.error ?? 'the server did not exit cleanly'})`);
      continue;
    }
    const file = join(dir, files.sort().at(-1)!);
    const summary = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    parts.push(`${FANOUT_VARIANTS[system].label}, ${kilo(rate)} deliveries/s, ${measureS} s measured, server CPU ${fmt(run.serverCpuPct, 0)}% = ${fmt(run.usPerDelivery, 2)} µs/delivery under the profiler (${file}):\n${formatSummary(summary, 12)}`);
  }
  }
  return parts.join('\n\n');
}
