/**
 * `node dist/bench/profile-summary.js <file.cpuprofile> [--top N] [--filter text]`: where a V8 CPU
 * profile (from `node --cpu-prof`) spends its time, by function and by file.
 * `npm run bench:emulator -- --profile` writes such profiles of the emulator under M1's load.
 */
import { readFileSync } from 'node:fs';
import { formatSummary, summarize, type CpuProfile } from './lib/cpuprofile.js';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [--top N] [--filter text]');
  process.exit(2);
}
const topAt = process.argv.indexOf('--top');
const filterAt = process.argv.indexOf('--filter');
const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
const filter = filterAt > 0 ? process.argv[filterAt + 1] : undefined;
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
console.log(formatSummary(summarize(profile), top, filter));
