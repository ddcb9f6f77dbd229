/**
 * M4 (what the webhook hop costs) and the chat path (a message event through the Functions app
 * and its REST broadcast to everyone), each compared with a direct group send of the same size
 * on the same connections in the same session.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatEmulatorConfig, LOCAL_HUB, localConnectionString } from '../../scripts/chatEmulatorConfig.js';
import { freePort, SERVER_CPU, startServer, type RunningServer } from '../lib/children.js';
import { formatSummary, summarize, type CpuProfile } from '../lib/cpuprofile.js';
import { runGenerator, type MarkJudge, type MarkSample } from '../lib/generator.js';
import { Histogram } from '../lib/histogram.js';
import type { BenchOptions } from '../lib/options.js';
import { BENCH_DIST, EMULATOR_MAIN, RUNNER_MAIN } from '../lib/paths.js';
import { cpuPercent } from '../lib/proc.js';
import { attempts, waitForQuiet, waitForServersIdle } from '../lib/quiet.js';
import { table } from '../lib/report.js';
import { fmt, kilo, percent, thousands } from '../lib/stats.js';
import { removeWhenStopped } from '../lib/systems.js';
import { DEFAULT_ACCESS_KEY } from '../lib/token.js';
import { RELIABLE_SUBPROTOCOL } from '../generator/clients.js';
import type { ChatJob, ChatPhase, ChatPhaseKind, ChatResult } from '../generator/chat.js';
import { errorText, GENERATOR_CPU_LIMIT, isNoisy, log, usageBetween } from './common.js';

/** Whom the user events go to. */
export type HandlerKind = 'bare' | 'app';

export interface PhaseRow {
  readonly handler: HandlerKind;
  readonly kind: ChatPhaseKind;
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly delivered: number;
  readonly expected: number;
  readonly emulatorCpuPct: number;
  readonly emulatorUsPerMessage: number;
  readonly emulatorUsPerDelivery: number;
  readonly handlerCpuPct: number;
  readonly generatorCpuPct: number;
  readonly othersPct: number;
  readonly invalid: boolean;
  readonly noisy: boolean;
  readonly session: string;
}

export interface SessionOutcome {
  readonly name: string;
  readonly rows: readonly PhaseRow[];
  readonly failedAcks: number;
  readonly drops: number;
  readonly connectMs: number;
  readonly error?: string;
}

const TEXT_CHARS = 80;
/** Fan-out beyond this many deliveries/s cannot be sustained here; such phases run alone. */
const SHARED_FANOUT_LIMIT = 200_000;

export interface Session {
  readonly name: string;
  readonly handler: HandlerKind;
  readonly phases: readonly ChatPhase[];
}

export function planSessions(options: BenchOptions): Session[] {
  const w = options.chatWarmupS;
  const m = options.chatMeasureS;
  const shared = options.chatRates.filter((r) => r * options.chatClients <= SHARED_FANOUT_LIMIT);
  const alone = options.chatRates.filter((r) => r * options.chatClients > SHARED_FANOUT_LIMIT);
  const sessions: Session[] = [];
  const bare: ChatPhase[] = [];
  for (const rate of options.echoRates) {
    bare.push({ name: `echo-direct@${rate}`, kind: 'echo-direct', rate, warmupS: w, measureS: m });
    bare.push({ name: `echo-webhook@${rate}`, kind: 'echo-webhook', rate, warmupS: w, measureS: m });
  }
  for (const rate of shared) {
    bare.push({ name: `fanout-direct@${rate}`, kind: 'fanout-direct', rate, warmupS: w, measureS: m });
    bare.push({ name: `fanout-webhook@${rate}`, kind: 'fanout-webhook', rate, warmupS: w, measureS: m });
  }
  if (bare.length > 0) sessions.push({ name: 'bare handler', handler: 'bare', phases: bare });
  const app: ChatPhase[] = shared.flatMap((rate): ChatPhase[] => [
    { name: `fanout-direct@${rate}`, kind: 'fanout-direct', rate, warmupS: w, measureS: m },
    { name: `fanout-webhook@${rate}`, kind: 'fanout-webhook', rate, warmupS: w, measureS: m },
  ]);
  if (app.length > 0) sessions.push({ name: 'Functions app', handler: 'app', phases: app });
  const short = Math.min(w, 2);
  for (const rate of alone) {
    const phase = (kind: ChatPhaseKind): ChatPhase => ({ name: `${kind}@${rate}`, kind, rate, warmupS: short, measureS: options.overloadMeasureS });
    sessions.push({ name: `direct group send at ${rate}/s, alone`, handler: 'bare', phases: [phase('fanout-direct')] });
    sessions.push({ name: `bare handler at ${rate}/s, alone`, handler: 'bare', phases: [phase('fanout-webhook')] });
    sessions.push({ name: `Functions app at ${rate}/s, alone`, handler: 'app', phases: [phase('fanout-webhook')] });
  }
  return sessions;
}

interface Started {
  readonly emulator: RunningServer;
  readonly handler: RunningServer;
  readonly hub: string;
}

async function startSession(handler: HandlerKind, emulatorNodeArgs: readonly string[] = []): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-chat-'));
  const configFile = join(dir, 'emulator.json');
  const emulatorPort = await freePort();
  if (handler === 'app') {
    // As `npm start` does it: the emulator configured for the app's hub, then the runner.
    const appPort = await freePort();
    writeFileSync(configFile, JSON.stringify(chatEmulatorConfig({ appPort, emulatorPort })));
    const emulator = await removeWhenStopped(startServer('emulator', { cpu: SERVER_CPU, args: [...emulatorNodeArgs, EMULATOR_MAIN, '--config', configFile, '--port', String(emulatorPort), '--host', 'localhost'] }), dir);
    try {
      const { WEBPUBSUB_ENDPOINT: _e, WEBPUBSUB_ALLOWED_ORIGINS: _o, WEBPUBSUB_WEBHOOK_KEY: _k, WEBSITE_AUTH_ENABLED: _a, ...inherited } = process.env;
      const runner = await startServer('functions runner', {
        cpu: SERVER_CPU,
        args: [RUNNER_MAIN, '--port', String(appPort), '--host', 'localhost'],
        env: { ...inherited, WebPubSubConnectionString: localConnectionString(emulatorPort), WEBPUBSUB_HUB: LOCAL_HUB },
      });
      return { emulator, handler: runner, hub: LOCAL_HUB };
    } catch (error) {
      await emulator.stop();
      throw error;
    }
  }
  const hub = 'bench';
  const bare = await removeWhenStopped(startServer('CloudEvents handler', {
    cpu: SERVER_CPU,
    args: [join(BENCH_DIST, 'servers', 'cloudevents-handler.js'), '--port', '0', '--emulator', `http://127.0.0.1:${emulatorPort}`, '--hub', hub],
  }), dir);
  try {
    const config = {
      hubs: {
        [hub]: {
          eventHandlers: [{ urlTemplate: `http://127.0.0.1:${bare.port}/eventhandler`, userEventPattern: '*', systemEvents: [] }],
          anonymousConnectPolicy: 'deny',
        },
      },
    };
    writeFileSync(configFile, JSON.stringify(config));
    const emulator = await removeWhenStopped(startServer('emulator', { cpu: SERVER_CPU, args: [...emulatorNodeArgs, EMULATOR_MAIN, '--config', configFile, '--port', String(emulatorPort), '--host', '127.0.0.1'] }), dir);
    return { emulator, handler: bare, hub };
  } catch (error) {
    await bare.stop();
    throw error;
  }
}

function processCpu(index: number, from: MarkSample | undefined, to: MarkSample | undefined): { pct: number; us: number } {
  const a = from?.servers[index];
  const b = to?.servers[index];
  if (a === undefined || b === undefined) return { pct: Number.NaN, us: Number.NaN };
  return { pct: cpuPercent(a, b), us: b.cpuUs - a.cpuUs };
}

export async function runSession(session: Session, options: BenchOptions, emulatorNodeArgs: readonly string[] = []): Promise<SessionOutcome> {
  await waitForQuiet(log);
  let started: Started;
  try {
    started = await startSession(session.handler, emulatorNodeArgs);
  } catch (error) {
    return { name: session.name, rows: [], failedAcks: 0, drops: 0, connectMs: Number.NaN, error: `could not start: ${errorText(error)}` };
  }
  const { emulator, handler, hub } = started;
  try {
    const job: ChatJob = {
      kind: 'chat',
      endpoint: { kind: 'emulator', host: emulator.host, port: emulator.port, hub, accessKey: DEFAULT_ACCESS_KEY, subprotocol: RELIABLE_SUBPROTOCOL },
      clients: options.chatClients,
      textChars: TEXT_CHARS,
      phases: session.phases,
      drainS: 5,
      attempts: attempts(),
    };
    // A phase that other processes disturbed is run again (same connections) once they are quiet.
    const judge: MarkJudge = async (name, marks) => {
      if (!name.startsWith('end:')) return false;
      const phase = name.slice(4);
      const usage = usageBetween(marks.get(`start:${phase}`), marks.get(name));
      const repeat = isNoisy(usage);
      // The next phase (or this one again) starts from idle. Nothing follows the last one, and
      // its stragglers must not count as its deliveries.
      if (repeat || phase !== session.phases.at(-1)?.name) await waitForServersIdle([emulator.pid, handler.pid], log);
      if (!repeat) return false;
      log(`    ${phase}: other processes took ${fmt(usage.othersPct, 0)}% of a core; repeating the phase`);
      await waitForQuiet(log);
      return true;
    };
    // Each phase: warm-up, window, drain, and up to two minutes for the servers to go idle.
    const seconds = attempts() * session.phases.reduce((sum, p) => sum + p.warmupS + p.measureS + 7 + 120, 0) + 600;
    const { result, marks } = await runGenerator<ChatResult>(job, [emulator.pid, handler.pid], seconds * 1000, judge);
    const rows = result.phases.map((phase): PhaseRow => {
      const from = marks.get(`start:${phase.name}`);
      const to = marks.get(`end:${phase.name}`);
      const usage = usageBetween(from, to);
      const emulatorCpu = processCpu(0, from, to);
      const latency = Histogram.from(phase.latency);
      const none = latency.count === 0;
      return {
        handler: session.handler,
        kind: phase.kind,
        rate: phase.rate,
        p50Ms: none ? Number.NaN : latency.quantile(0.5) / 1000,
        p99Ms: none ? Number.NaN : latency.quantile(0.99) / 1000,
        p999Ms: none ? Number.NaN : latency.quantile(0.999) / 1000,
        maxMs: none ? Number.NaN : latency.max / 1000,
        delivered: phase.delivered,
        expected: phase.expected,
        emulatorCpuPct: emulatorCpu.pct,
        emulatorUsPerMessage: emulatorCpu.us / phase.measuredMessages,
        emulatorUsPerDelivery: phase.delivered === 0 ? Number.NaN : emulatorCpu.us / phase.delivered,
        handlerCpuPct: processCpu(1, from, to).pct,
        generatorCpuPct: usage.generatorCpuPct,
        othersPct: usage.othersPct,
        invalid: usage.generatorCpuPct > GENERATOR_CPU_LIMIT,
        noisy: isNoisy(usage),
        session: session.name,
      };
    });
    return { name: session.name, rows, failedAcks: result.failedAcks, drops: result.drops, connectMs: result.connectMs };
  } catch (error) {
    return { name: session.name, rows: [], failedAcks: 0, drops: 0, connectMs: Number.NaN, error: errorText(error) };
  } finally {
    await Promise.all([emulator.stop(), handler.stop()]);
    const accepted = /(\d+) TCP connections accepted/.exec(handler.output());
    if (accepted !== null) log(`    the emulator opened ${accepted[1]} TCP connection(s) to the handler`);
  }
}

export function describeRow(row: PhaseRow): string {
  return (
    `${row.kind}@${row.rate}/s: p50 ${fmt(row.p50Ms, 2)} ms, p99 ${fmt(row.p99Ms, 2)} ms, max ${fmt(row.maxMs, 1)} ms, delivered ${percent(row.delivered, row.expected)}, ` +
    `emulator ${fmt(row.emulatorCpuPct, 0)}% (${fmt(row.emulatorUsPerMessage, 0)} µs/message), handler ${fmt(row.handlerCpuPct, 0)}%, generator ${fmt(row.generatorCpuPct, 0)}%` +
    `${row.invalid ? ' INVALID' : ''}, others ${fmt(row.othersPct, 0)}%${row.noisy ? ' NOISY' : ''}`
  );
}

export async function runChatSessions(options: BenchOptions): Promise<SessionOutcome[]> {
  const outcomes: SessionOutcome[] = [];
  for (let r = 1; r <= options.chatRuns; r += 1) {
    for (const session of planSessions(options)) {
      log(`  session "${session.name}" (run ${r}/${options.chatRuns}), ${session.phases.length} phase(s)`);
      const outcome = await runSession(session, options);
      if (outcome.error !== undefined) log(`    FAILED: ${outcome.error}`);
      else log(`    ${options.chatClients} clients connected in ${fmt(outcome.connectMs / 1000, 1)} s; failed acks ${outcome.failedAcks}, dropped connections ${outcome.drops}`);
      for (const row of outcome.rows) log(`    ${describeRow(row)}`);
      outcomes.push(outcome);
    }
  }
  return outcomes;
}

function medianRow(rows: readonly PhaseRow[]): PhaseRow | undefined {
  if (rows.length === 0) return undefined;
  const sorted = [...rows].sort((a, b) => a.p99Ms - b.p99Ms);
  return sorted[(sorted.length - 1) >> 1];
}

function status(row: PhaseRow): string {
  const notes: string[] = [];
  if (row.invalid) notes.push(`INVALID (generator > ${GENERATOR_CPU_LIMIT}%)`);
  if (row.noisy) notes.push(`NOISY (others ${fmt(row.othersPct, 0)}%)`);
  return notes.length === 0 ? 'valid' : notes.join('; ');
}

const ms = (v: number | undefined, d = 2): string => (v === undefined ? 'n/a' : fmt(v, d));
const added = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !Number.isFinite(a - b) ? 'n/a' : `${a - b >= 0 ? '+' : ''}${fmt(a - b, 2)}`;

export function echoTable(outcomes: readonly SessionOutcome[], options: BenchOptions): string {
  const rows = outcomes.flatMap((o) => o.rows);
  const out: string[][] = [];
  for (const rate of options.echoRates) {
    const direct = medianRow(rows.filter((r) => r.kind === 'echo-direct' && r.rate === rate));
    const hook = medianRow(rows.filter((r) => r.kind === 'echo-webhook' && r.rate === rate));
    for (const [label, row] of [['direct sendToGroup echo', direct], ['user event → bare handler → reply', hook]] as const) {
      if (row === undefined) continue;
      out.push([
        label,
        `${thousands(rate)}/s`,
        ms(row.p50Ms),
        ms(row.p99Ms),
        ms(row.p999Ms),
        row === hook ? `${added(hook.p50Ms, direct?.p50Ms)} / ${added(hook.p99Ms, direct?.p99Ms)}` : '',
        `${thousands(row.delivered)} / ${thousands(row.expected)}`,
        fmt(row.emulatorCpuPct, 0),
        fmt(row.emulatorUsPerMessage, 0),
        row === hook ? fmt(row.handlerCpuPct, 0) : '',
        fmt(row.generatorCpuPct, 0),
        status(row),
      ]);
    }
  }
  return table(
    ['Path', 'Events/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'Added by the webhook p50 / p99 ms', 'Delivered / expected', 'Emulator CPU %', 'Emulator CPU µs / event', 'Handler CPU %', 'Generator CPU %', 'Status'],
    out,
  );
}

export function echoCapacity(outcomes: readonly SessionOutcome[]): string {
  const passing = outcomes
    .flatMap((o) => o.rows)
    .filter((r) => r.kind === 'echo-webhook' && r.p99Ms < 100 && r.delivered >= r.expected * 0.999 && !r.invalid)
    .map((r) => r.rate);
  return passing.length === 0 ? 'none of the rates tried' : `${thousands(Math.max(...passing))} events/s`;
}

export function chatTable(outcomes: readonly SessionOutcome[], options: BenchOptions): string {
  const rows = outcomes.flatMap((o) => o.rows);
  const out: string[][] = [];
  for (const rate of options.chatRates) {
    const pick = (handler: HandlerKind | undefined, kind: ChatPhaseKind): PhaseRow | undefined =>
      medianRow(rows.filter((r) => r.rate === rate && r.kind === kind && (handler === undefined || r.handler === handler)));
    const direct = pick(undefined, 'fanout-direct');
    const variants: [string, PhaseRow | undefined][] = [
      ['direct sendToGroup (no webhook)', direct],
      ['event → bare node:http handler → REST :send', pick('bare', 'fanout-webhook')],
      ['event → Functions app (runner) → REST sendToAll', pick('app', 'fanout-webhook')],
    ];
    for (const [label, row] of variants) {
      if (row === undefined) continue;
      out.push([
        label,
        `${thousands(rate)} msg/s (${kilo(rate * options.chatClients)} deliveries/s)`,
        ms(row.p50Ms),
        ms(row.p99Ms),
        ms(row.p999Ms),
        ms(row.maxMs, 0),
        row === direct ? '' : `${added(row.p50Ms, direct?.p50Ms)} / ${added(row.p99Ms, direct?.p99Ms)}`,
        `${thousands(row.delivered)} / ${thousands(row.expected)} (${percent(row.delivered, row.expected)})`,
        fmt(row.emulatorCpuPct, 0),
        fmt(row.emulatorUsPerDelivery, 2),
        row === direct ? '' : fmt(row.handlerCpuPct, 0),
        fmt(row.generatorCpuPct, 0),
        status(row),
      ]);
    }
  }
  return table(
    ['Path', 'Rate', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'Added vs direct p50 / p99 ms', 'Delivered / expected', 'Emulator CPU %', 'Emulator CPU µs / delivery', 'Handler CPU %', 'Generator CPU %', 'Status'],
    out,
  );
}

export function sessionNotes(outcomes: readonly SessionOutcome[]): string {
  return outcomes
    .map((o) =>
      o.error !== undefined
        ? `- ${o.name}: failed (${o.error})`
        : `- ${o.name}: ${thousands(o.rows.length)} phase(s); clients connected in ${fmt(o.connectMs / 1000, 1)} s; ${o.failedAcks} failed event acks; ${o.drops} connections closed by the server`,
    )
    .join('\n');
}

/**
 * The emulator under `--cpu-prof` in two chat phases: user events through the webhook (echo) at
 * `echoRate` events/s, and a reliable fan-out (direct group send to all clients) at `fanoutRate`.
 */
export async function profileChat(options: BenchOptions, echoRate: number, fanoutRate: number): Promise<string> {
  const w = options.chatWarmupS;
  const m = options.chatMeasureS;
  const cases: [string, ChatPhase][] = [
    [`user events through the webhook (echo) at ${thousands(echoRate)}/s`, { name: `echo-webhook@${echoRate}`, kind: 'echo-webhook', rate: echoRate, warmupS: w, measureS: m }],
    [
      `a direct group send to all ${thousands(options.chatClients)} reliable clients at ${thousands(fanoutRate)} msg/s`,
      { name: `fanout-direct@${fanoutRate}`, kind: 'fanout-direct', rate: fanoutRate, warmupS: w, measureS: m },
    ],
  ];
  const parts: string[] = [];
  for (const [what, phase] of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-profile-chat-'));
    const outcome = await runSession({ name: `profile: ${what}`, handler: 'bare', phases: [phase] }, options, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    for (const row of outcome.rows) log(`    (under the profiler) ${describeRow(row)}`);
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length === 0) {
      parts.push(`${what}: no profile was written (${outcome.error ?? 'the emulator did not exit cleanly'})`);
      continue;
    }
    const file = join(dir, files.sort().at(-1)!);
    const row = outcome.rows[0];
    const head =
      row === undefined
        ? ''
        : `emulator CPU ${fmt(row.emulatorCpuPct, 0)}% = ${fmt(row.emulatorUsPerMessage, 0)} µs per message, ${fmt(row.emulatorUsPerDelivery, 2)} µs per delivery, under the profiler; `;
    parts.push(`${what}, ${m} s measured: ${head}${file}\n${formatSummary(summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile), 15)}`);
  }
  return parts.join('\n\n');
}
