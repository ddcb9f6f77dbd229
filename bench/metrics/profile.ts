/**
 * Where the emulator spends its CPU under M1's load: the emulator runs with `--cpu-prof` at 50k
 * and 100k deliveries/s and the profiles are summarized by function and by file.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSummary, summarize, type CpuProfile } from '../lib/cpuprofile.js';
import type { BenchOptions } from '../lib/options.js';
import { kilo } from '../lib/stats.js';
import { FANOUT_VARIANTS } from '../lib/systems.js';
import { readFileSync } from 'node:fs';
import { log } from './common.js';
import { describeRun, fanoutRun } from './fanout.js';

export const PROFILE_RATES = [50_000, 100_000];

export async function runProfile(options: BenchOptions): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'bench-profiles-'));
  const parts: string[] = [];
  for (const rate of PROFILE_RATES) {
    const dir = join(root, kilo(rate));
    const measureS = Math.min(options.measureS, 15);
    const run = await fanoutRun(FANOUT_VARIANTS.emulator, rate, options.warmupS, measureS, options, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    log(`  profile emulator ${kilo(rate)}/s (under the profiler): ${describeRun(run)}`);
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    } catch {
      // no profile written
    }
    if (files.length === 0) {
      parts.push(`${kilo(rate)} deliveries/s: no profile was written (${run.error ?? 'the emulator did not exit cleanly'})`);
      continue;
    }
    const file = join(dir, files.sort().at(-1)!);
    const summary = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    parts.push(`${kilo(rate)} deliveries/s, ${measureS} s measured (${file}):\n${formatSummary(summary, 15)}`);
  }
  return parts.join('\n\n');
}
