/**
 * Where the servers spend their CPU under M1's load: each runs with `--cpu-prof` at 50k and 100k
 * deliveries/s and the profiles are summarized by function and by file.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSummary, summarize, type CpuProfile } from '../lib/cpuprofile.js';
import type { BenchOptions, SystemName } from '../lib/options.js';
import { fmt, kilo } from '../lib/stats.js';
import { FANOUT_VARIANTS } from '../lib/systems.js';
import { log } from './common.js';
import { describeRun, fanoutRun } from './fanout.js';

export const PROFILE_RATES = [50_000, 100_000];

export async function runProfile(options: BenchOptions): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'bench-profiles-'));
  const parts: string[] = [];
  for (const system of options.systems) {
    for (const rate of PROFILE_RATES) parts.push(await profileOne(system, rate, join(root, system, kilo(rate)), options));
  }
  return parts.join('\n\n');
}

async function profileOne(system: SystemName, rate: number, dir: string, options: BenchOptions): Promise<string> {
  const variant = FANOUT_VARIANTS[system];
  const measureS = Math.min(options.measureS, 15);
  const run = await fanoutRun(variant, rate, options.warmupS, measureS, options, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  log(`  profile ${system} ${kilo(rate)}/s (under the profiler): ${describeRun(run)}`);
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    // The server wrote no profile.
  }
  if (files.length === 0) return `${variant.label}, ${kilo(rate)} deliveries/s: no profile was written (${run.error ?? 'the server did not exit cleanly'})`;
  // A repeated (disturbed) run leaves several; the newest is the one kept.
  const file = join(dir, files.sort().at(-1)!);
  const summary = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  return `${variant.label}, ${kilo(rate)} deliveries/s, ${measureS} s measured, server CPU ${fmt(run.serverCpuPct, 0)}% = ${fmt(run.usPerDelivery, 2)} µs/delivery under the profiler (${file}):\n${formatSummary(summary, 12)}`;
}
