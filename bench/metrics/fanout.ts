/**
 * M1 (room fan-out latency) and M2 (CPU per delivery, capacity at p99 < 100 ms).
 */
import { runGenerator } from '../lib/generator.js';
import { Histogram } from '../lib/histogram.js';
import type { BenchOptions, SystemName } from '../lib/options.js';
import { table } from '../lib/report.js';
import { fmt, kilo, median, percent, spread, thousands } from '../lib/stats.js';
import { endpointOf, FANOUT_VARIANTS, startSystem, type Variant } from '../lib/systems.js';
import type { FanoutJob, FanoutResult } from '../generator/fanout.js';
import { attempts, NOISE_LIMIT_PCT, waitForQuiet } from '../lib/quiet.js';
import { errorText, GENERATOR_CPU_LIMIT, isNoisy, log, usageBetween } from './common.js';

export interface FanoutRun {
  readonly system: SystemName;
  readonly deliveriesPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly delivered: number;
  readonly expected: number;
  readonly serverCpuPct: number;
  readonly generatorCpuPct: number;
  readonly usPerDelivery: number;
  readonly serverRssMB: number;
  readonly invalid: boolean;
  /** CPU other processes took on a benchmark core during the window (%). */
  readonly othersPct: number;
  readonly noisy: boolean;
  readonly error?: string;
}

/** One run; repeated (a few attempts) while other processes disturb it. */
export async function fanoutRun(variant: Variant, deliveriesPerS: number, warmupS: number, measureS: number, options: BenchOptions, nodeArgs: readonly string[] = []): Promise<FanoutRun> {
  let run: FanoutRun | undefined;
  for (let attempt = 1; attempt <= attempts(); attempt += 1) {
    await waitForQuiet(log);
    run = await fanoutAttempt(variant, deliveriesPerS, warmupS, measureS, options, nodeArgs);
    if (!run.noisy || run.error !== undefined) return run;
    if (attempt < attempts()) log(`    other processes took ${fmt(run.othersPct, 0)}% of a core during the run; repeating it`);
  }
  return run!;
}

async function fanoutAttempt(variant: Variant, deliveriesPerS: number, warmupS: number, measureS: number, options: BenchOptions, nodeArgs: readonly string[]): Promise<FanoutRun> {
  const job: FanoutJob = {
    kind: 'fanout',
    endpoint: { kind: variant.system, host: '', port: 0 },
    clients: options.clients,
    publishers: options.publishers,
    publishRate: deliveriesPerS / options.clients,
    warmupS,
    measureS,
    drainS: 5,
    payloadBytes: options.payloadBytes,
  };
  const failed = (error: string): FanoutRun => ({
    system: variant.system,
    deliveriesPerS,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    p999Ms: Number.NaN,
    maxMs: Number.NaN,
    delivered: 0,
    expected: 0,
    serverCpuPct: Number.NaN,
    generatorCpuPct: Number.NaN,
    usPerDelivery: Number.NaN,
    serverRssMB: Number.NaN,
    invalid: true,
    othersPct: Number.NaN,
    noisy: false,
    error,
  });
  let server;
  try {
    server = await startSystem(variant, { nodeArgs });
  } catch (error) {
    return failed(`server did not start: ${errorText(error)}`);
  }
  try {
    const timeoutMs = (warmupS + measureS + 120) * 1000;
    const { result, marks } = await runGenerator<FanoutResult>({ ...job, endpoint: endpointOf(variant, server) }, [server.pid], timeoutMs);
    const usage = usageBetween(marks.get('measure-start'), marks.get('measure-end'));
    const latency = Histogram.from(result.latency);
    return {
      system: variant.system,
      deliveriesPerS,
      p50Ms: latency.quantile(0.5) / 1000,
      p99Ms: latency.quantile(0.99) / 1000,
      p999Ms: latency.quantile(0.999) / 1000,
      maxMs: latency.max / 1000,
      delivered: result.delivered,
      expected: result.expected,
      serverCpuPct: usage.serverCpuPct,
      generatorCpuPct: usage.generatorCpuPct,
      usPerDelivery: usage.serverCpuUs / result.windowDeliveries,
      serverRssMB: usage.serverRssBytes / 2 ** 20,
      invalid: usage.generatorCpuPct > GENERATOR_CPU_LIMIT,
      othersPct: usage.othersPct,
      noisy: isNoisy(usage),
    };
  } catch (error) {
    return failed(errorText(error));
  } finally {
    await server.stop();
  }
}

export function describeRun(run: FanoutRun): string {
  if (run.error !== undefined) return `FAILED: ${run.error}`;
  return (
    `p50 ${fmt(run.p50Ms, 2)} ms, p99 ${fmt(run.p99Ms, 2)} ms, p99.9 ${fmt(run.p999Ms, 2)} ms, max ${fmt(run.maxMs, 1)} ms, ` +
    `delivered ${percent(run.delivered, run.expected)}, server ${fmt(run.serverCpuPct, 0)}% (${fmt(run.usPerDelivery, 2)} µs/delivery), ` +
    `generator ${fmt(run.generatorCpuPct, 0)}%${run.invalid ? ' INVALID' : ''}, others ${fmt(run.othersPct, 0)}%${run.noisy ? ' NOISY' : ''}`
  );
}

export const M1_RATES = [10_000, 50_000];

/** Runs M1: every system at 10k and 50k deliveries/s, interleaved run by run. */
export async function runM1(options: BenchOptions): Promise<FanoutRun[]> {
  const runs: FanoutRun[] = [];
  for (let r = 1; r <= options.runs; r += 1) {
    for (const rate of M1_RATES) {
      for (const system of options.systems) {
        const run = await fanoutRun(FANOUT_VARIANTS[system], rate, options.warmupS, options.measureS, options);
        log(`  M1 ${system.padEnd(8)} ${kilo(rate).padStart(4)}/s run ${r}/${options.runs}: ${describeRun(run)}`);
        runs.push(run);
      }
    }
  }
  return runs;
}

function statusOf(runs: readonly FanoutRun[]): string {
  const failed = runs.filter((r) => r.error !== undefined);
  if (failed.length > 0) return `${failed.length}/${runs.length} failed: ${failed[0]!.error ?? ''}`;
  const invalid = runs.filter((r) => r.invalid);
  const noisy = runs.filter((r) => r.noisy);
  const notes: string[] = [];
  if (invalid.length > 0) notes.push(`INVALID (${invalid.length}/${runs.length}: generator > ${GENERATOR_CPU_LIMIT}%)`);
  if (noisy.length > 0) notes.push(`NOISY (${noisy.length}/${runs.length}: other processes > ${NOISE_LIMIT_PCT}% of a core)`);
  return notes.length === 0 ? 'valid' : notes.join('; ');
}

function ok(runs: readonly FanoutRun[]): FanoutRun[] {
  return runs.filter((r) => r.error === undefined);
}

export function m1Table(runs: readonly FanoutRun[], options: BenchOptions): string {
  const rows: string[][] = [];
  for (const rate of M1_RATES) {
    for (const system of options.systems) {
      const mine = runs.filter((r) => r.system === system && r.deliveriesPerS === rate);
      if (mine.length === 0) continue;
      const good = ok(mine);
      rows.push([
        FANOUT_VARIANTS[system].label,
        `${kilo(rate)}/s`,
        spread(good.map((r) => r.p50Ms), 2),
        spread(good.map((r) => r.p99Ms), 2),
        spread(good.map((r) => r.p999Ms), 2),
        spread(good.map((r) => r.maxMs), 1),
        good.length === 0 ? 'n/a' : `${thousands(good.reduce((s, r) => s + r.delivered, 0))} / ${thousands(good.reduce((s, r) => s + r.expected, 0))} (${percent(good.reduce((s, r) => s + r.delivered, 0), good.reduce((s, r) => s + r.expected, 0))})`,
        spread(good.map((r) => r.serverCpuPct), 0),
        spread(good.map((r) => r.generatorCpuPct), 0),
        String(mine.length),
        statusOf(mine),
      ]);
    }
  }
  return table(['System', 'Deliveries', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'Delivered / expected', 'Server CPU %', 'Generator CPU %', 'Runs', 'Status'], rows);
}

export interface CapacityStep {
  readonly deliveriesPerS: number;
  readonly runs: readonly FanoutRun[];
  readonly p99Ms: number;
  readonly deliveredRatio: number;
  readonly invalid: boolean;
}

export interface Capacity {
  readonly system: SystemName;
  readonly steps: readonly CapacityStep[];
  /** Highest step with p99 < 100 ms, full delivery and a valid generator. */
  readonly best: number | undefined;
  /** First step with p99 ≥ 1 s. */
  readonly overOneSecond: number | undefined;
  /** The first failing step had a saturated generator: the limit may be the generator's. */
  readonly generatorBound: boolean;
}

const SLO_MS = 100;

/** M2 search: step the rate up until p99 passes 1 s, delivery drops, or the generator saturates. */
export async function runCapacity(options: BenchOptions): Promise<Capacity[]> {
  const results: Capacity[] = [];
  for (const system of options.systems) {
    const steps: CapacityStep[] = [];
    let best: number | undefined;
    let overOneSecond: number | undefined;
    let firstFailure: CapacityStep | undefined;
    for (const rate of options.steps) {
      const runs: FanoutRun[] = [];
      for (let r = 1; r <= options.stepRuns; r += 1) {
        const run = await fanoutRun(FANOUT_VARIANTS[system], rate, options.stepWarmupS, options.stepMeasureS, options);
        log(`  M2 ${system.padEnd(8)} ${kilo(rate).padStart(4)}/s run ${r}/${options.stepRuns}: ${describeRun(run)}`);
        runs.push(run);
      }
      const good = ok(runs);
      const p99 = median(good.map((r) => r.p99Ms));
      const ratio = good.length === 0 ? 0 : good.reduce((s, r) => s + r.delivered, 0) / Math.max(1, good.reduce((s, r) => s + r.expected, 0));
      const invalid = runs.some((r) => r.invalid);
      steps.push({ deliveriesPerS: rate, runs, p99Ms: p99, deliveredRatio: ratio, invalid });
      const passes = good.length > 0 && p99 < SLO_MS && ratio >= 0.999;
      // A pass with a saturated generator still counts (the generator only adds latency); a
      // failure with a saturated generator cannot be blamed on the server.
      if (firstFailure === undefined) {
        if (passes) best = rate;
        else firstFailure = steps.at(-1);
      }
      if (!Number.isFinite(p99) || p99 >= 1000 || ratio < 0.9) {
        if (Number.isFinite(p99) && p99 >= 1000) overOneSecond = rate;
        break;
      }
    }
    results.push({ system, steps, best, overOneSecond, generatorBound: firstFailure?.invalid === true });
  }
  return results;
}

export function m2Table(m1Runs: readonly FanoutRun[], capacity: readonly Capacity[], options: BenchOptions): string {
  const rows = options.systems.map((system) => {
    const at50k = ok(m1Runs.filter((r) => r.system === system && r.deliveriesPerS === 50_000));
    const cap = capacity.find((c) => c.system === system);
    const bestText =
      cap === undefined
        ? 'not run'
        : cap.best === undefined
          ? `< ${kilo(cap.steps[0]?.deliveriesPerS ?? 0)}/s`
          : `${cap.generatorBound ? '≥ ' : ''}${kilo(cap.best)}/s${cap.generatorBound ? ' (the next step saturated the generator)' : ''}`;
    const stepsText =
      cap === undefined
        ? ''
        : cap.steps.map((s) => `${kilo(s.deliveriesPerS)}: ${fmt(s.p99Ms, s.p99Ms < 10 ? 1 : 0)}${s.deliveredRatio < 0.999 ? ` (${(100 * s.deliveredRatio).toFixed(1)}%)` : ''}${s.invalid ? '*' : ''}`).join(', ');
    return [
      FANOUT_VARIANTS[system].label,
      spread(at50k.map((r) => r.usPerDelivery), 2),
      spread(at50k.map((r) => r.serverCpuPct), 0),
      spread(at50k.map((r) => r.serverRssMB), 0),
      bestText,
      cap?.overOneSecond === undefined ? (cap === undefined ? 'not run' : 'not reached') : `${kilo(cap.overOneSecond)}/s`,
      stepsText,
    ];
  });
  return table(
    ['System', 'Server CPU µs / delivery at 50k/s', 'Server CPU % at 50k/s', 'Server RSS MB', 'Highest deliveries/s with p99 < 100 ms', 'p99 ≥ 1 s at', 'Steps tried (deliveries/s: p99 ms)'],
    rows,
  );
}
