/** M5: delivery, duplicates and order under connection churn. */
import { runGenerator } from '../lib/generator.js';
import { Histogram } from '../lib/histogram.js';
import type { BenchOptions } from '../lib/options.js';
import { table } from '../lib/report.js';
import { fmt, percent, spread, thousands } from '../lib/stats.js';
import { CHURN_VARIANTS, endpointOf, startSystem, type Variant } from '../lib/systems.js';
import type { ChurnJob, ChurnResult } from '../generator/churn.js';
import { NOISE_LIMIT_PCT, waitForQuiet } from '../lib/quiet.js';
import { errorText, GENERATOR_CPU_LIMIT, log, usageBetween } from './common.js';

export interface ChurnRun {
  readonly variant: Variant;
  readonly result?: ChurnResult;
  readonly generatorCpuPct: number;
  readonly serverCpuPct: number;
  readonly othersPct: number;
  readonly error?: string;
}

export async function churnRun(variant: Variant, options: BenchOptions, seed: number): Promise<ChurnRun> {
  await waitForQuiet(log);
  let server;
  try {
    server = await startSystem(variant);
  } catch (error) {
    return { variant, generatorCpuPct: Number.NaN, serverCpuPct: Number.NaN, othersPct: Number.NaN, error: `server did not start: ${errorText(error)}` };
  }
  try {
    const job: ChurnJob = {
      kind: 'churn',
      endpoint: endpointOf(variant, server),
      clients: options.churnClients,
      rate: options.churnRate,
      durationS: options.churnSeconds,
      disruptEveryS: options.churnEveryS,
      offlineS: options.churnOfflineS,
      drainS: Math.max(5, options.churnOfflineS * 3),
      payloadBytes: options.payloadBytes,
      seed,
    };
    const { result, marks } = await runGenerator<ChurnResult>(job, [server.pid], (options.churnSeconds + 180) * 1000);
    const usage = usageBetween(marks.get('measure-start'), marks.get('measure-end'));
    return { variant, result, generatorCpuPct: usage.generatorCpuPct, serverCpuPct: usage.serverCpuPct, othersPct: usage.othersPct };
  } catch (error) {
    return { variant, generatorCpuPct: Number.NaN, serverCpuPct: Number.NaN, othersPct: Number.NaN, error: errorText(error) };
  } finally {
    await server.stop();
  }
}

const activeVariants = (options: BenchOptions): Variant[] => CHURN_VARIANTS.filter((v) => options.systems.includes(v.system));

export async function runM5(options: BenchOptions): Promise<ChurnRun[]> {
  const runs: ChurnRun[] = [];
  for (let r = 1; r <= options.churnRuns; r += 1) {
    for (const variant of activeVariants(options)) {
      const run = await churnRun(variant, options, 1000 + r);
      const res = run.result;
      const replay = res === undefined ? undefined : Histogram.from(res.replay);
      log(
        `  M5 ${variant.label} run ${r}/${options.churnRuns}: ` +
          (res === undefined || replay === undefined
            ? `FAILED: ${run.error ?? '?'}`
            : `delivered ${percent(res.delivered, res.expected)}, duplicates ${res.duplicates}, reordered ${res.reordered}, ` +
              `recovered ${res.recovered}/${res.disruptions}, replay p50 ${fmt(replay.quantile(0.5) / 1000, 0)} ms p99 ${fmt(replay.quantile(0.99) / 1000, 0)} ms, ` +
              `generator ${fmt(run.generatorCpuPct, 0)}%, others ${fmt(run.othersPct, 0)}%`),
      );
      runs.push(run);
    }
  }
  return runs;
}

export function m5Table(runs: readonly ChurnRun[], options: BenchOptions): string {
  const rows = activeVariants(options).map((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    const results = mine.map((r) => r.result).filter((r): r is ChurnResult => r !== undefined);
    if (results.length === 0) return [variant.label, `failed: ${mine[0]?.error ?? 'not run'}`, '', '', '', '', '', '', '', ''];
    const delivered = results.reduce((s, r) => s + r.delivered, 0);
    const expected = results.reduce((s, r) => s + r.expected, 0);
    const replay = new Histogram();
    const catchUp = new Histogram();
    for (const r of results) {
      replay.add(Histogram.from(r.replay));
      catchUp.add(Histogram.from(r.catchUp));
    }
    const seconds = (us: number): string => (replay.count === 0 ? 'n/a' : fmt(us / 1e6, 2));
    const invalid = mine.filter((r) => r.generatorCpuPct > GENERATOR_CPU_LIMIT).length;
    return [
      variant.label,
      `${thousands(delivered)} / ${thousands(expected)} (${percent(delivered, expected)})`,
      thousands(results.reduce((s, r) => s + r.duplicates, 0)),
      thousands(results.reduce((s, r) => s + r.reordered, 0)),
      `${thousands(results.reduce((s, r) => s + r.recovered, 0))} / ${thousands(results.reduce((s, r) => s + r.disruptions, 0))}`,
      replay.count === 0 ? 'none' : `${seconds(replay.quantile(0.5))} / ${seconds(replay.quantile(0.99))} / ${seconds(replay.max)}`,
      catchUp.count === 0 ? 'none' : `${fmt(catchUp.quantile(0.5) / 1000, 0)} / ${fmt(catchUp.quantile(0.99) / 1000, 0)} / ${fmt(catchUp.max / 1000, 0)}`,
      thousands(results.reduce((s, r) => s + r.redelivered, 0)),
      spread(mine.map((r) => r.generatorCpuPct), 0) + (invalid > 0 ? ' INVALID' : '') + (mine.some((r) => r.othersPct > NOISE_LIMIT_PCT) ? ` NOISY (others up to ${fmt(Math.max(...mine.map((r) => r.othersPct)), 0)}%)` : ''),
      String(mine.length),
    ];
  });
  return table(
    [
      'System',
      'Delivered / expected',
      'Duplicates',
      'Reordered',
      'Sessions recovered / disruptions',
      'Replay latency p50 / p99 / max s (from send)',
      'Catch-up after reconnect p50 / p99 / max ms',
      'Replayed frames dropped as seen',
      'Generator CPU %',
      'Runs',
    ],
    rows,
  );
}
