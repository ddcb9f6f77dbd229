/**
 * Child processes of a benchmark: servers pinned to one core, the load generator to another.
 * Every child is registered so that an exit, an error or Ctrl+C stops all of them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const SERVER_CPU = 0;
export const GENERATOR_CPU = 1;

const live = new Set<ChildProcess>();

/** Pins this process (all its threads) to one core, so the harness stays off the server's core. */
export function pinSelf(cpu: number): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
  } catch {
    // Without taskset the numbers are still taken; pinning of children will fail loudly instead.
  }
}
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = (): void => {
    for (const child of live) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.stderr.write(`\nbench: stopped by ${signal}; child processes killed.\n`);
      process.exit(130);
    });
  }
}

export interface PinnedOptions {
  readonly cpu: number;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Open an IPC channel (the child must be a Node program). */
  readonly ipc?: boolean;
}

/**
 * Spawns `node <args>` under `taskset -c <cpu>` with the open-file limit raised to the hard
 * limit. `exec` keeps the pid, so /proc/<pid> of the returned child is the Node process.
 */
export function spawnPinnedNode(options: PinnedOptions): ChildProcess {
  installHooks();
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec taskset -c "$0" "$@"';
  const child = spawn('sh', ['-c', script, String(options.cpu), process.execPath, ...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: options.ipc === true ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

/** Keeps the last lines a child printed, to explain a failure. */
export class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly limit = 40) {}

  push(chunk: string): string[] {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.limit) this.lines.shift();
    }
    return parts;
  }

  text(): string {
    return [...this.lines, this.partial].filter((l) => l.length > 0).join('\n');
  }
}

export interface RunningServer {
  readonly name: string;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** Everything the server printed recently (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

const LISTENING = /listening on https?:\/\/([^\s:/]+|\[[^\]]+\]):(\d+)/;

/** Starts a server and resolves once it prints `listening on http://HOST:PORT`. */
export function startServer(name: string, options: PinnedOptions, timeoutMs = 20_000): Promise<RunningServer> {
  const child = spawnPinnedNode(options);
  const tail = new OutputTail();
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      fail(new Error(`${name} did not print "listening on http://HOST:PORT" within ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n--- ${name} output ---\n${tail.text()}`));
    };
    const onLines = (lines: string[]): void => {
      if (settled) return;
      for (const line of lines) {
        const match = LISTENING.exec(line);
        if (match === null) continue;
        settled = true;
        clearTimeout(timer);
        const host = match[1]!.replace(/^\[|\]$/g, '');
        resolve({
          name,
          pid: child.pid!,
          host: host === 'localhost' || host === '0.0.0.0' ? '127.0.0.1' : host,
          port: Number(match[2]),
          output: () => tail.text(),
          stop: () => stopChild(child),
        });
        return;
      }
    };
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => { onLines(tail.push(chunk)); });
    child.stderr?.on('data', (chunk: string) => { onLines(tail.push(chunk)); });
    child.on('error', (error) => { fail(error); });
    child.on('exit', (code, signal) => { fail(new Error(`${name} exited early (code ${code}, signal ${signal})`)); });
  });
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A port nothing listens on right now (the OS picks it; a tiny race before it is used). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}
