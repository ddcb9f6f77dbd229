/**
 * `npm run bench`: bench:emulator, then bench:chat, each in its own process with the same flags
 * and environment. Both write their sections of docs/benchmarks.md.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIST } from './lib/paths.js';

function run(script: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(BENCH_DIST, script), ...process.argv.slice(2)], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === null ? 1 : 130));
    });
  });
}

const started = performance.now();
const emulator = await run('emulator.js');
const chat = await run('chat.js');
console.log(`\nbench: finished in ${((performance.now() - started) / 60_000).toFixed(1)} min (bench:emulator exit ${emulator}, bench:chat exit ${chat}).`);
process.exit(emulator !== 0 ? emulator : chat);
