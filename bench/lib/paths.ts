/** Where things are, whether running from bench/ (tsx) or dist/bench/ (compiled). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

export const REPO_ROOT = findRoot(import.meta.dirname);
export const DIST = join(REPO_ROOT, 'dist');
export const BENCH_DIST = join(DIST, 'bench');
export const EMULATOR_MAIN = join(DIST, 'emulator', 'main.js');
export const BENCHMARKS_DOC = join(REPO_ROOT, 'docs', 'benchmarks.md');
export const RUNNER_MAIN = join(DIST, 'runner', 'main.js');
