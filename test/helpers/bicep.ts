// Finds a Bicep CLI for the infrastructure checks and runs it.
// Order: `bicep` on PATH, then `az bicep`, then the repo-local copy that
// scripts/install-bicep.sh puts in .tools/bicep/bicep.
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface BicepCommand {
  /** Executable to spawn. */
  command: string;
  /** Arguments that come before the Bicep subcommand (`['bicep']` for az). */
  args: string[];
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const PROBE_TIMEOUT_MS = 60_000;
const RUN_TIMEOUT_MS = 180_000;

/** The directory holding package.json, found by walking up from this file (src or dist). */
export function findRepoRoot(start: string = import.meta.dirname): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

/** Runs a command to completion without a shell; a missing executable gives code null. */
export function run(command: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let done = false;
    // Our own timer: spawn's `timeout` is never cleared when the executable is missing.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, options.timeoutMs ?? RUN_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const finish = (code: number | null, extra = ''): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8') + extra,
      });
    };
    child.on('error', (error) => {
      finish(null, String(error));
    });
    child.on('close', (code) => {
      finish(code);
    });
  });
}

async function works(command: string, args: readonly string[]): Promise<boolean> {
  const result = await run(command, args, { timeoutMs: PROBE_TIMEOUT_MS });
  return result.code === 0;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A working Bicep CLI, or undefined when there is none. */
export async function findBicep(): Promise<BicepCommand | undefined> {
  if (await works('bicep', ['--version'])) return { command: 'bicep', args: [] };
  // `az bicep version` fails (rather than downloading) when az has no Bicep yet and is offline.
  if (await works('az', ['version', '--output', 'none'])) {
    if (await works('az', ['bicep', 'version'])) return { command: 'az', args: ['bicep'] };
  }
  const local = join(findRepoRoot(), '.tools', 'bicep', 'bicep');
  if ((await isExecutable(local)) && (await works(local, ['--version']))) return { command: local, args: [] };
  return undefined;
}

function isAz(bicep: BicepCommand): boolean {
  return bicep.args[0] === 'bicep';
}

/** `bicep build FILE --stdout` (az: `az bicep build --file FILE --stdout`). */
export function buildArgs(bicep: BicepCommand, file: string): string[] {
  return isAz(bicep) ? [...bicep.args, 'build', '--file', file, '--stdout'] : [...bicep.args, 'build', file, '--stdout'];
}

/** `bicep lint FILE` with SARIF diagnostics on stdout. */
export function lintArgs(bicep: BicepCommand, file: string): string[] {
  const common = ['--diagnostics-format', 'sarif'];
  return isAz(bicep) ? [...bicep.args, 'lint', '--file', file, ...common] : [...bicep.args, 'lint', file, ...common];
}

export function formatCommand(bicep: BicepCommand): string {
  return [bicep.command, ...bicep.args].join(' ');
}
