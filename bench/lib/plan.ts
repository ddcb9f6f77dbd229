/** What a bench:emulator run will do and roughly how long it takes. */
import type { BenchOptions } from './options.js';
import { kilo } from './stats.js';

const SERVER_OVERHEAD_S = 3;

export function estimateSeconds(options: BenchOptions): number {
  const systems = options.systems.length;
  let total = 0;
  if (options.metrics.has('m1') || options.metrics.has('m2')) total += options.runs * 2 * systems * (options.warmupS + options.measureS + SERVER_OVERHEAD_S);
  if (options.metrics.has('m2')) total += systems * Math.min(options.steps.length, 5) * options.stepRuns * (options.stepWarmupS + options.stepMeasureS + SERVER_OVERHEAD_S);
  if (options.metrics.has('m3')) total += options.runs * systems * (2 * options.idleSettleS + options.idleConnections / 2000 + SERVER_OVERHEAD_S);
  if (options.metrics.has('m5')) total += options.churnRuns * (systems + (options.systems.includes('socketio') ? 1 : 0)) * (options.churnSeconds + SERVER_OVERHEAD_S + 4);
  return total;
}

export function describeSettings(options: BenchOptions): string {
  return [
    `M1/M2: ${options.clients} clients, ${options.publishers} publishers, ${options.payloadBytes} B payload; ${options.warmupS} s warm-up + ${options.measureS} s measured, ${options.runs} run(s) per point.`,
    `M2 search: ${options.stepRuns} run(s) per step of ${options.stepWarmupS} s + ${options.stepMeasureS} s at ${options.steps.map(kilo).join(', ')} deliveries/s.`,
    `M3: ${options.idleConnections} idle connections, ${options.runs} run(s).`,
    `M5: ${options.churnClients} clients, ${options.churnRate} msg/s for ${options.churnSeconds} s, cut every ~${options.churnEveryS} s, offline ${options.churnOfflineS} s, ${options.churnRuns} run(s).`,
  ].join('\n');
}
