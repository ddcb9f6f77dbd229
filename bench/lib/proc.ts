/**
 * CPU and memory of a process as the kernel accounts them (/proc/<pid>/stat), and a
 * description of the machine for the report.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';

export interface ProcSample {
  /** When the sample was taken, ms on the monotonic clock. */
  readonly atMs: number;
  /** utime + stime of every thread of the process, µs. */
  readonly cpuUs: number;
  readonly rssBytes: number;
}

const CLOCK_TICKS = readClockTicks();
const PAGE_SIZE = readPageSize();

export function sampleProcess(pid: number): ProcSample | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces; fields are counted after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rssPages = Number(fields[21]);
  return {
    atMs: performance.now(),
    cpuUs: ((utime + stime) * 1e6) / CLOCK_TICKS,
    rssBytes: rssPages * PAGE_SIZE,
  };
}

/** Share of one core used between two samples, in percent. */
export function cpuPercent(from: ProcSample, to: ProcSample): number {
  const wallUs = (to.atMs - from.atMs) * 1000;
  return wallUs <= 0 ? 0 : (100 * (to.cpuUs - from.cpuUs)) / wallUs;
}

function readClockTicks(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

function readPageSize(): number {
  try {
    const value = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 4096;
  } catch {
    return 4096;
  }
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly libraries: Readonly<Record<string, string>>;
  readonly commit: string;
  readonly date: string;
}

export function describeMachine(root: string): MachineInfo {
  const libraries: Record<string, string> = {};
  for (const name of ['ws', 'socket.io', '@azure/web-pubsub', '@azure/web-pubsub-express', '@azure/functions']) {
    libraries[name] = packageVersion(root, name);
  }
  return {
    cpuModel: lscpuModel() ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalMemoryBytes() / 2 ** 30),
    kernel: `Linux ${release()}`,
    node: process.version,
    libraries,
    commit: gitCommit(root),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

export function machineLine(info: MachineInfo): string {
  const libs = Object.entries(info.libraries)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return `${info.cpuModel}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.kernel}, Node ${info.node}; ${libs}; commit ${info.commit}; ${info.date}`;
}

function packageVersion(root: string, name: string): string {
  try {
    const json = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof json.version === 'string' ? json.version : 'unknown';
  } catch {
    return 'not installed';
  }
}

function lscpuModel(): string | undefined {
  try {
    const out = execFileSync('lscpu', [], { encoding: 'utf8' });
    const line = out.split('\n').find((l) => l.startsWith('Model name:'));
    return line?.slice('Model name:'.length).trim();
  } catch {
    return undefined;
  }
}

function totalMemoryBytes(): number {
  try {
    const line = readFileSync('/proc/meminfo', 'utf8').split('\n').find((l) => l.startsWith('MemTotal:'));
    return Number(line?.replace(/\D+/g, '') ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function gitCommit(root: string): string {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'bench', 'emulator', 'src', 'runner'], { cwd: root, encoding: 'utf8' }).trim();
    return dirty.length > 0 ? `${hash}+local changes` : hash;
  } catch {
    return 'unknown';
  }
}

/** Busy time per core (user + nice + system + steal, µs), from /proc/stat. */
export interface CoreTimes {
  readonly atMs: number;
  readonly busyUs: readonly number[];
}

export function sampleCores(): CoreTimes | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const busyUs: number[] = [];
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (match === null) continue;
    const [user = 0, nice = 0, system = 0, , , , , steal = 0] = match[2]!.split(/\s+/).map(Number);
    busyUs[Number(match[1])] = ((user + nice + system + steal) * 1e6) / CLOCK_TICKS;
  }
  return { atMs: performance.now(), busyUs };
}

/**
 * CPU used by everything else on each core between two samples, in percent of that core:
 * the core's busy time minus what our pinned processes used there. Interrupt time is left out
 * on both sides because the kernel may charge our own network traffic to it.
 */
export function othersPercent(from: CoreTimes, to: CoreTimes, oursUsByCore: readonly number[]): number[] {
  const wallUs = (to.atMs - from.atMs) * 1000;
  return to.busyUs.map((busy, core) => {
    const used = busy - (from.busyUs[core] ?? 0) - (oursUsByCore[core] ?? 0);
    return wallUs <= 0 ? 0 : Math.max(0, (100 * used) / wallUs);
  });
}
