/**
 * Benchmark settings: defaults that follow the method (5 s warm-up, 30 s measured, 3 runs),
 * a quick profile for smoke runs, then environment variables, then flags (`--name=value`).
 */

export type SystemName = 'emulator' | 'socketio' | 'ws';
export const ALL_SYSTEMS: readonly SystemName[] = ['emulator', 'socketio', 'ws'];

export interface BenchOptions {
  readonly quick: boolean;
  /** Write results into docs/benchmarks.md. */
  readonly write: boolean;
  readonly systems: readonly SystemName[];
  readonly metrics: ReadonlySet<string>;
  readonly runs: number;
  readonly warmupS: number;
  readonly measureS: number;
  /** M1/M2 room size and publishers. */
  readonly clients: number;
  readonly publishers: number;
  readonly payloadBytes: number;
  /** M2 capacity search: one run per step, shorter. */
  readonly stepRuns: number;
  readonly stepWarmupS: number;
  readonly stepMeasureS: number;
  /** Deliveries/s tried in order by the M2 search. */
  readonly steps: readonly number[];
  /** M3 */
  readonly idleConnections: number;
  readonly idleSettleS: number;
  /** M5 */
  readonly churnRuns: number;
  readonly churnClients: number;
  readonly churnRate: number;
  readonly churnSeconds: number;
  readonly churnEveryS: number;
  readonly churnOfflineS: number;
  /** Chat path: fan-out rates (messages/s, each to every client) and the chat's size. */
  readonly chatRates: readonly number[];
  readonly chatClients: number;
  /** M4 echo rates (events/s). */
  readonly echoRates: readonly number[];
  readonly chatRuns: number;
  readonly chatWarmupS: number;
  readonly chatMeasureS: number;
  /** Phases whose fan-out exceeds what one core can deliver run alone and shorter. */
  readonly overloadMeasureS: number;
}

const DEFAULTS: BenchOptions = {
  quick: false,
  write: true,
  systems: ALL_SYSTEMS,
  metrics: new Set(['m1', 'm2', 'm3', 'm5', 'm4', 'chat']),
  runs: 3,
  warmupS: 5,
  measureS: 30,
  clients: 1000,
  publishers: 10,
  payloadBytes: 200,
  stepRuns: 1,
  stepWarmupS: 3,
  stepMeasureS: 10,
  steps: [50_000, 75_000, 100_000, 125_000, 150_000, 175_000, 200_000, 250_000],
  idleConnections: 10_000,
  idleSettleS: 3,
  churnRuns: 1,
  churnClients: 1000,
  churnRate: 2,
  churnSeconds: 60,
  churnEveryS: 15,
  churnOfflineS: 2,
  chatRates: [10, 50, 100, 1000],
  chatClients: 1000,
  echoRates: [100, 1000, 5000, 10_000],
  chatRuns: 1,
  chatWarmupS: 5,
  chatMeasureS: 15,
  overloadMeasureS: 10,
};

const QUICK: Partial<BenchOptions> = {
  quick: true,
  runs: 1,
  warmupS: 0.5,
  measureS: 1,
  stepWarmupS: 0.5,
  stepMeasureS: 1,
  steps: [100_000],
  idleConnections: 1000,
  idleSettleS: 0.5,
  churnClients: 100,
  churnSeconds: 4,
  churnEveryS: 2,
  churnOfflineS: 0.5,
  chatClients: 200,
  chatRates: [100],
  echoRates: [100, 1000],
  chatWarmupS: 0.5,
  chatMeasureS: 1.5,
  overloadMeasureS: 1.5,
};

export function parseOptions(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg} (flags look like --name=value)`);
    const [name = '', value = 'true'] = arg.slice(2).split('=', 2);
    flags.set(name, value);
  }
  const read = (flag: string, variable: string): string | undefined => flags.get(flag) ?? env[variable];
  const quickValue = read('quick', 'BENCH_QUICK');
  const quick = quickValue !== undefined && quickValue !== '0' && quickValue !== 'false';
  const base: BenchOptions = quick ? { ...DEFAULTS, ...QUICK } : DEFAULTS;

  const number = (flag: string, variable: string, fallback: number, min = 0): number => {
    const raw = read(flag, variable);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`${variable} / --${flag} must be a number >= ${min}, got "${raw}"`);
    return value;
  };
  const list = (flag: string, variable: string): string[] | undefined =>
    read(flag, variable)
      ?.split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s.length > 0);

  const systems = list('systems', 'BENCH_SYSTEMS') ?? base.systems;
  for (const system of systems) {
    if (!ALL_SYSTEMS.includes(system as SystemName)) throw new Error(`unknown system "${system}" (BENCH_SYSTEMS: ${ALL_SYSTEMS.join(', ')})`);
  }
  const steps = list('steps', 'BENCH_STEPS')?.map(Number);
  if (steps?.some((s) => !Number.isFinite(s) || s <= 0) === true) throw new Error('BENCH_STEPS must be a comma list of deliveries/s');
  const chatRates = list('chat-rates', 'BENCH_CHAT_RATES')?.map(Number);
  const echoRates = list('echo-rates', 'BENCH_ECHO_RATES')?.map(Number);
  if ([...(chatRates ?? []), ...(echoRates ?? [])].some((r) => !Number.isFinite(r) || r <= 0)) throw new Error('BENCH_CHAT_RATES and BENCH_ECHO_RATES are comma lists of messages/s');
  const writeValue = read('write', 'BENCH_WRITE');

  return {
    ...base,
    write: writeValue === undefined ? !flags.has('no-write') : writeValue !== '0' && writeValue !== 'false',
    systems: systems as SystemName[],
    metrics: new Set([...(list('metrics', 'BENCH_METRICS') ?? base.metrics), ...(read('profile', 'BENCH_PROFILE') === undefined || read('profile', 'BENCH_PROFILE') === '0' ? [] : ['profile'])]),
    runs: Math.round(number('runs', 'BENCH_RUNS', base.runs, 1)),
    warmupS: number('warmup', 'BENCH_WARMUP_S', base.warmupS),
    measureS: number('measure', 'BENCH_MEASURE_S', base.measureS, 0.5),
    clients: Math.round(number('clients', 'BENCH_CLIENTS', base.clients, 1)),
    stepRuns: Math.round(number('step-runs', 'BENCH_STEP_RUNS', base.stepRuns, 1)),
    stepWarmupS: number('step-warmup', 'BENCH_STEP_WARMUP_S', base.stepWarmupS),
    stepMeasureS: number('step-measure', 'BENCH_STEP_MEASURE_S', base.stepMeasureS, 0.5),
    steps: steps ?? base.steps,
    idleConnections: Math.round(number('connections', 'BENCH_M3_CONNECTIONS', base.idleConnections, 1)),
    churnRuns: Math.round(number('churn-runs', 'BENCH_M5_RUNS', base.churnRuns, 1)),
    churnClients: Math.round(number('churn-clients', 'BENCH_M5_CLIENTS', base.churnClients, 1)),
    churnSeconds: number('churn-seconds', 'BENCH_M5_SECONDS', base.churnSeconds, 1),
    chatRates: chatRates ?? base.chatRates,
    chatClients: Math.round(number('chat-clients', 'BENCH_CHAT_CLIENTS', base.chatClients, 1)),
    echoRates: echoRates ?? base.echoRates,
    chatRuns: Math.round(number('chat-runs', 'BENCH_CHAT_RUNS', base.chatRuns, 1)),
    chatWarmupS: number('chat-warmup', 'BENCH_CHAT_WARMUP_S', base.chatWarmupS),
    chatMeasureS: number('chat-measure', 'BENCH_CHAT_MEASURE_S', base.chatMeasureS, 0.5),
    overloadMeasureS: number('overload-measure', 'BENCH_OVERLOAD_MEASURE_S', base.overloadMeasureS, 0.5),
  };
}
