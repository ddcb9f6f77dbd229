/**
 * `npm run bench:emulator`: the emulator side by side with a Socket.IO 4 server and a raw `ws`
 * server, doing the same work, measured by one load generator.
 *
 *   M1  room fan-out latency (1,000 clients, 10 publishers, ~200 B JSON, 10k and 50k deliveries/s)
 *   M2  server CPU µs per delivery at 50k/s; highest deliveries/s with p99 < 100 ms
 *   M3  memory per idle connection and connects/s (10k connections; emulator on the reliable subprotocol)
 *   M5  delivery, duplicates, order and replay latency when every socket is cut about every 15 s
 *
 * Settings: see bench/lib/options.ts (BENCH_QUICK=1 for a smoke run under a minute).
 */
import { existsSync } from 'node:fs';
import { m1Table, m2Table, runCapacity, runM1, type Capacity, type FanoutRun } from './metrics/fanout.js';
import { m3Table, runM3 } from './metrics/idle.js';
import { runProfile } from './metrics/profile.js';
import { m5Table, runM5 } from './metrics/churn.js';
import { GENERATOR_CPU, pinSelf } from './lib/children.js';
import { machine, machineSection, runHeader, writeSection } from './lib/doc.js';
import { relaxForSmokeRuns } from './lib/quiet.js';
import { parseOptions } from './lib/options.js';
import { EMULATOR_MAIN } from './lib/paths.js';
import { describeSettings, estimateSeconds } from './lib/plan.js';
import { machineLine } from './lib/proc.js';

async function main(): Promise<void> {
  const started = performance.now();
  const options = parseOptions();
  pinSelf(GENERATOR_CPU);
  if (options.quick) relaxForSmokeRuns();
  const info = machine();
  console.log(`bench:emulator on ${machineLine(info)}`);
  console.log(describeSettings(options));
  console.log(`Estimated duration: about ${Math.ceil(estimateSeconds(options) / 60)} min.${options.quick ? ' (BENCH_QUICK: numbers are for smoke testing only)' : ''}\n`);
  if (options.systems.includes('emulator') && !existsSync(EMULATOR_MAIN)) {
    throw new Error(`${EMULATOR_MAIN} does not exist: run \`npm run build\` first, or set BENCH_SYSTEMS=socketio,ws`);
  }
  const settings = (text: string): string => `${text}${options.quick ? '\n\n**Quick smoke run (BENCH_QUICK=1): too short to quote.**' : ''}`;
  writeSection(options, 'machine', 'Machine', machineSection(info));

  let m1Runs: FanoutRun[] = [];
  if (options.metrics.has('m1') || options.metrics.has('m2')) {
    console.log('M1: room fan-out latency');
    m1Runs = await runM1(options);
    const body = m1Table(m1Runs, options);
    console.log(`\n${body}\n`);
    writeSection(
      options,
      'm1',
      'M1. Room fan-out latency',
      `${runHeader(info, settings(`${options.clients} clients in one room, ${options.publishers} publishers, ~${options.payloadBytes} B JSON; ${options.warmupS} s warm-up discarded, ${options.measureS} s measured, ${options.runs} run(s): median (min–max).`))}\n\n${body}`,
    );
  }
  if (options.metrics.has('m2')) {
    console.log('M2: CPU per delivery and capacity at p99 < 100 ms');
    const capacity: Capacity[] = await runCapacity(options);
    const body = m2Table(m1Runs, capacity, options);
    console.log(`\n${body}\n`);
    writeSection(
      options,
      'm2',
      'M2. Fan-out efficiency and capacity',
      `${runHeader(info, settings(`CPU per delivery: server utime+stime over the M1 50k/s measured windows divided by the deliveries received in them. Capacity search: ${options.stepRuns} run(s) per step, ${options.stepWarmupS} s warm-up + ${options.stepMeasureS} s measured; a step passes with p99 < 100 ms and ≥ 99.9% delivered; * marks a step whose generator used > 80% of its core.`))}\n\n${body}`,
    );
  }
  if (options.metrics.has('m3')) {
    console.log('M3: idle connections');
    const runs = await runM3(options);
    const body = m3Table(runs, options);
    console.log(`\n${body}\n`);
    writeSection(
      options,
      'm3',
      'M3. Memory per idle connection and connect rate',
      `${runHeader(info, settings(`100 warm-up connections, then ${options.idleConnections} more (100 handshakes in flight${options.idleConnections + 100 > 20_000 ? ', from several 127.0.0.x source addresses' : ''}); marginal RSS = (RSS ${options.idleSettleS} s after the last connect − RSS before the first) / connections; ${options.runs} run(s): median (min–max).`))}\n\n${body}`,
    );
  }
  if (options.metrics.has('m5')) {
    console.log('M5: delivery under churn');
    const runs = await runM5(options);
    const body = m5Table(runs, options);
    console.log(`\n${body}\n`);
    writeSection(
      options,
      'm5',
      'M5. Delivery and ordering under churn',
      `${runHeader(info, settings(`${options.churnClients} room members and one undisturbed publisher at ${options.churnRate} msg/s for ${options.churnSeconds} s; each member's TCP connection destroyed without a close frame every ~${options.churnEveryS} s (±10%), offline ${options.churnOfflineS} s, then reconnecting (resuming where the protocol allows, else rejoining); ${options.churnRuns} run(s), counts summed, latencies merged.`))}\n\n${body}`,
    );
  }
  if (options.metrics.has('profile')) {
    console.log('Profile: the emulator under --cpu-prof');
    const text = await runProfile(options);
    console.log(`\n${text}\n`);
    writeSection(
      options,
      'profile',
      'Where the emulator spends its CPU',
      `${runHeader(info, settings('Each server under M1\'s load with `node --cpu-prof` (the profiler itself costs CPU, so these runs are not M1 results). Percentages are of the time the server\'s main thread was busy; "(garbage collector)" and "(program)" are V8 and native work, "(native)" frames are built-ins such as socket writes.'))}\n\n\`\`\`text\n${text}\n\`\`\``,
    );
  }
  if (options.write) console.log('Results written to docs/benchmarks.md.');
  console.log(`bench:emulator finished in ${((performance.now() - started) / 60_000).toFixed(1)} min.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
