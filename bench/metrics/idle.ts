/** M3: memory per idle connection and connection rate. */
import { runGenerator } from '../lib/generator.js';
import type { BenchOptions, SystemName } from '../lib/options.js';
import { table } from '../lib/report.js';
import { fmt, spread, thousands } from '../lib/stats.js';
import { endpointOf, IDLE_VARIANTS, startSystem } from '../lib/systems.js';
import type { IdleJob, IdleResult } from '../generator/idle.js';
import { attempts, waitForQuiet } from '../lib/quiet.js';
import { errorText, GENERATOR_CPU_LIMIT, isNoisy, log, usageBetween } from './common.js';

export interface IdleRun {
  readonly system: SystemName;
  readonly connections: number;
  readonly bytesPerConnection: number;
  readonly connectsPerSecond: number;
  readonly serverCpuUsPerConnect: number;
  readonly serverCpuPct: number;
  readonly generatorCpuPct: number;
  readonly baselineMB: number;
  readonly settledMB: number;
  readonly generatorBound: boolean;
  readonly othersPct: number;
  readonly noisy: boolean;
  readonly error?: string;
}

const WARM_CONNECTIONS = 100;

/** One run; repeated (a few attempts) while other processes disturb it. */
export async function idleRun(system: SystemName, options: BenchOptions): Promise<IdleRun> {
  let run: IdleRun | undefined;
  for (let attempt = 1; attempt <= attempts(); attempt += 1) {
    await waitForQuiet(log);
    run = await idleAttempt(system, options);
    if (!run.noisy || run.error !== undefined) return run;
    if (attempt < attempts()) log(`    other processes took ${fmt(run.othersPct, 0)}% of a core during the run; repeating it`);
  }
  return run!;
}

async function idleAttempt(system: SystemName, options: BenchOptions): Promise<IdleRun> {
  const variant = IDLE_VARIANTS[system];
  const failed = (error: string): IdleRun => ({
    system,
    connections: options.idleConnections,
    bytesPerConnection: Number.NaN,
    connectsPerSecond: Number.NaN,
    serverCpuUsPerConnect: Number.NaN,
    serverCpuPct: Number.NaN,
    generatorCpuPct: Number.NaN,
    baselineMB: Number.NaN,
    settledMB: Number.NaN,
    generatorBound: false,
    othersPct: Number.NaN,
    noisy: false,
    error,
  });
  let server;
  try {
    server = await startSystem(variant);
  } catch (error) {
    return failed(`server did not start: ${errorText(error)}`);
  }
  try {
    const job: IdleJob = {
      kind: 'idle',
      endpoint: endpointOf(variant, server),
      warm: WARM_CONNECTIONS,
      connections: options.idleConnections,
      concurrency: 100,
      // ~28k ephemeral ports per source address. Binding a source address makes the kernel search
      // for a free port on every connect (slow with many in use), so only do it when needed.
      sourceAddresses: Math.max(1, Math.ceil((options.idleConnections + WARM_CONNECTIONS) / 20_000)),
      settleS: options.idleSettleS,
    };
    const { result, marks } = await runGenerator<IdleResult>(job, [server.pid], 300_000);
    const baseline = marks.get('baseline');
    const connected = marks.get('connected');
    const settled = marks.get('settled');
    const connecting = usageBetween(baseline, connected);
    const base = baseline?.server?.rssBytes ?? Number.NaN;
    const after = settled?.server?.rssBytes ?? Number.NaN;
    return {
      system,
      connections: result.connections,
      bytesPerConnection: (after - base) / result.connections,
      connectsPerSecond: result.connectsPerSecond,
      serverCpuUsPerConnect: connecting.serverCpuUs / result.connections,
      serverCpuPct: connecting.serverCpuPct,
      generatorCpuPct: connecting.generatorCpuPct,
      baselineMB: base / 2 ** 20,
      settledMB: after / 2 ** 20,
      generatorBound: connecting.generatorCpuPct > GENERATOR_CPU_LIMIT,
      othersPct: Math.max(connecting.othersPct, usageBetween(connected, settled).othersPct),
      noisy: isNoisy(connecting) || isNoisy(usageBetween(connected, settled)),
    };
  } catch (error) {
    return failed(errorText(error));
  } finally {
    await server.stop();
  }
}

export async function runM3(options: BenchOptions): Promise<IdleRun[]> {
  const runs: IdleRun[] = [];
  for (let r = 1; r <= options.runs; r += 1) {
    for (const system of options.systems) {
      const run = await idleRun(system, options);
      log(
        `  M3 ${system.padEnd(8)} run ${r}/${options.runs}: ` +
          (run.error !== undefined
            ? `FAILED: ${run.error}`
            : `${fmt(run.bytesPerConnection / 1024, 2)} KB/connection (${fmt(run.baselineMB, 0)} → ${fmt(run.settledMB, 0)} MB), ${fmt(run.connectsPerSecond, 0)} connects/s, ` +
              `server ${fmt(run.serverCpuPct, 0)}% (${fmt(run.serverCpuUsPerConnect, 0)} µs/connect), generator ${fmt(run.generatorCpuPct, 0)}%${run.generatorBound ? ' (generator-bound)' : ''}, others ${fmt(run.othersPct, 0)}%${run.noisy ? ' NOISY' : ''}`),
      );
      runs.push(run);
    }
  }
  return runs;
}

export function m3Table(runs: readonly IdleRun[], options: BenchOptions): string {
  const rows = options.systems.map((system) => {
    const mine = runs.filter((r) => r.system === system);
    const good = mine.filter((r) => r.error === undefined);
    const bound = good.filter((r) => r.generatorBound).length;
    const failed = mine.length - good.length;
    return [
      IDLE_VARIANTS[system].label,
      thousands(options.idleConnections),
      spread(good.map((r) => r.bytesPerConnection / 1024), 2),
      spread(good.map((r) => 2 ** 30 / r.bytesPerConnection / 1000), 0),
      spread(good.map((r) => r.settledMB), 0),
      `${spread(good.map((r) => r.connectsPerSecond), 0)}${bound > 0 ? ` INVALID (${bound}/${good.length}: generator > ${GENERATOR_CPU_LIMIT}%)` : ''}`,
      spread(good.map((r) => r.serverCpuUsPerConnect), 0),
      spread(good.map((r) => r.serverCpuPct), 0),
      spread(good.map((r) => r.generatorCpuPct), 0),
      `${mine.length}${failed > 0 ? ` (${failed} failed: ${mine.find((r) => r.error !== undefined)?.error ?? ''})` : ''}${good.some((r) => r.noisy) ? ` NOISY (${good.filter((r) => r.noisy).length})` : ''}`,
    ];
  });
  return table(
    ['System', 'Connections', 'KB / connection (marginal RSS)', 'k connections / GiB', 'Server RSS MB (all connected)', 'Connects/s', 'Server CPU µs / connect', 'Server CPU % while connecting', 'Generator CPU % while connecting', 'Runs'],
    rows,
  );
}
