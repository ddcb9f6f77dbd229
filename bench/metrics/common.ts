/** What every metric runner shares: a run's process numbers and the validity rule. */
import { GENERATOR_CPU, SERVER_CPU } from '../lib/children.js';
import type { MarkSample } from '../lib/generator.js';
import { cpuPercent, othersPercent } from '../lib/proc.js';
import { NOISE_LIMIT_PCT } from '../lib/quiet.js';

/** Runs whose load generator used more than this share of its core measured the generator. */
export const GENERATOR_CPU_LIMIT = 80;

export interface WindowUsage {
  readonly serverCpuPct: number;
  readonly generatorCpuPct: number;
  /** Server CPU time spent in the window, µs. */
  readonly serverCpuUs: number;
  readonly serverRssBytes: number;
  /** CPU other processes took on the server's or the generator's core, whichever is higher (%). */
  readonly othersPct: number;
}

/** Another process took enough of a benchmark core to disturb the run. */
export function isNoisy(usage: { readonly othersPct: number }): boolean {
  return usage.othersPct > NOISE_LIMIT_PCT;
}

export function usageBetween(from: MarkSample | undefined, to: MarkSample | undefined): WindowUsage {
  if (from?.server === undefined || to?.server === undefined) {
    return { serverCpuPct: Number.NaN, generatorCpuPct: Number.NaN, serverCpuUs: Number.NaN, serverRssBytes: Number.NaN, othersPct: Number.NaN };
  }
  const serverUs = to.server.cpuUs - from.server.cpuUs;
  const generatorUs = from.generator !== undefined && to.generator !== undefined ? to.generator.cpuUs - from.generator.cpuUs : 0;
  const ours: number[] = [];
  ours[SERVER_CPU] = serverUs;
  ours[GENERATOR_CPU] = (ours[GENERATOR_CPU] ?? 0) + generatorUs;
  const others = from.cores !== undefined && to.cores !== undefined ? othersPercent(from.cores, to.cores, ours) : [];
  return {
    othersPct: others.length === 0 ? Number.NaN : Math.max(...others),
    serverCpuPct: cpuPercent(from.server, to.server),
    generatorCpuPct: from.generator !== undefined && to.generator !== undefined ? cpuPercent(from.generator, to.generator) : Number.NaN,
    serverCpuUs: serverUs,
    serverRssBytes: to.server.rssBytes,
  };
}

export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

export function log(line: string): void {
  console.log(line);
}
