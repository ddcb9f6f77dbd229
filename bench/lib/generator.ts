/** Runs one job in a fresh load-generator process pinned to the generator core. */
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { GENERATOR_CPU, OutputTail, spawnPinnedNode, stopChild } from './children.js';
import { BENCH_DIST } from './paths.js';
import { sampleCores, sampleProcess, type CoreTimes, type ProcSample } from './proc.js';
import type { FromGenerator, ToGenerator } from '../generator/ipc.js';
import type { GeneratorJob } from '../generator/main.js';

export interface MarkSample {
  /** All server processes together. */
  readonly server: ProcSample | undefined;
  /** Each server process, in the order their pids were given. */
  readonly servers: readonly (ProcSample | undefined)[];
  readonly generator: ProcSample | undefined;
  readonly cores: CoreTimes | undefined;
}

export interface GeneratorOutcome<R> {
  readonly result: R;
  readonly marks: ReadonlyMap<string, MarkSample>;
}

/** Decides, at a mark the generator waits on, whether the phase it ends must be repeated. */
export type MarkJudge = (name: string, marks: ReadonlyMap<string, MarkSample>) => Promise<boolean>;

export function runGenerator<R>(job: GeneratorJob, serverPids: readonly number[], timeoutMs: number, judge?: MarkJudge): Promise<GeneratorOutcome<R>> {
  const child: ChildProcess = spawnPinnedNode({
    cpu: GENERATOR_CPU,
    args: ['--max-old-space-size=4096', join(BENCH_DIST, 'generator', 'main.js')],
    ipc: true,
  });
  const tail = new OutputTail();
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => tail.push(chunk));
  child.stderr?.on('data', (chunk: string) => tail.push(chunk));
  const marks = new Map<string, MarkSample>();

  return new Promise<GeneratorOutcome<R>>((resolve, reject) => {
    let done = false;
    const finish = (error: Error | undefined, result?: R): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void stopChild(child, 1000);
      if (error !== undefined) reject(error);
      else resolve({ result: result as R, marks });
    };
    const timer = setTimeout(() => { finish(new Error(`load generator did not finish within ${Math.round(timeoutMs / 1000)} s\n${tail.text()}`)); }, timeoutMs);
    child.on('message', (message: FromGenerator) => {
      switch (message.type) {
        case 'mark': {
          // Server first: its numbers are the ones that matter.
          const servers = serverPids.map((pid) => sampleProcess(pid));
          const generator = child.pid === undefined ? undefined : sampleProcess(child.pid);
          marks.set(message.name, { server: sumSamples(servers), servers, generator, cores: sampleCores() });
          if (message.wait) {
            const verdict = judge === undefined ? Promise.resolve(false) : judge(message.name, marks);
            void verdict.then((repeat) => child.send({ type: 'continue', repeat } satisfies ToGenerator));
          }
          break;
        }
        case 'log':
          console.log(`      generator: ${message.text}`);
          break;
        case 'result':
          finish(undefined, message.result as R);
          break;
        case 'error':
          finish(new Error(`load generator failed: ${message.message}\n${tail.text()}`));
          break;
      }
    });
    child.on('exit', (code, signal) => { finish(new Error(`load generator exited (code ${code}, signal ${signal}) without a result\n${tail.text()}`)); });
    child.send({ type: 'job', job } satisfies ToGenerator);
  });
}

/** Several processes seen as one (e.g. the emulator and a handler both on the server core). */
function sumSamples(samples: readonly (ProcSample | undefined)[]): ProcSample | undefined {
  const present = samples.filter((s): s is ProcSample => s !== undefined);
  if (present.length === 0) return undefined;
  return {
    atMs: present[0]!.atMs,
    cpuUs: present.reduce((sum, s) => sum + s.cpuUs, 0),
    rssBytes: present.reduce((sum, s) => sum + s.rssBytes, 0),
  };
}
