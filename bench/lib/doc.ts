/** Writing results into docs/benchmarks.md: one generated section per metric, the rest kept. */
import type { BenchOptions } from './options.js';
import { BENCHMARKS_DOC } from './paths.js';
import { describeMachine, machineLine, type MachineInfo } from './proc.js';
import { REPO_ROOT } from './paths.js';
import { replaceSection } from './report.js';

export function machine(): MachineInfo {
  return describeMachine(REPO_ROOT);
}

export function writeSection(options: BenchOptions, id: string, heading: string, body: string): void {
  if (!options.write) return;
  replaceSection(BENCHMARKS_DOC, id, heading, body);
}

export function runHeader(info: MachineInfo, settings: string): string {
  return `Measured on ${machineLine(info)}.\n${settings}`;
}

export function machineSection(info: MachineInfo): string {
  const libs = Object.entries(info.libraries)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    '| | |',
    '| --- | --- |',
    `| CPU | ${info.cpuModel}, ${info.cores} cores (server pinned to core 0, load generator to core 1) |`,
    `| Memory | ${info.memoryGiB} GiB |`,
    `| Kernel | ${info.kernel} |`,
    `| Node | ${info.node} |`,
    `| Libraries | ${libs} |`,
    `| Commit | ${info.commit} |`,
    `| Date | ${info.date} |`,
  ].join('\n');
}
