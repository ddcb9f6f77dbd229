#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with node:test.
// Usage: node scripts/run-tests.mjs [suite ...]   e.g. `unit emulator` (default: every suite).
// Node 20 has no glob support in `node --test`, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const testRoot = join(root, 'dist', 'test');
if (!existsSync(testRoot)) {
  console.error('dist/test does not exist: run `npm run build` first (npm test does it for you).');
  process.exit(2);
}

const suites = process.argv.slice(2);
const roots = suites.length > 0 ? suites.map((suite) => join(testRoot, suite)) : [testRoot];
for (const dir of roots) {
  if (!existsSync(dir)) {
    console.error(`No test suite at ${relative(root, dir)}. Suites: ${readdirSync(testRoot).filter((d) => statSync(join(testRoot, d)).isDirectory()).join(', ')}`);
    process.exit(2);
  }
}

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const files = roots.flatMap(collect).sort();
if (files.length === 0) {
  console.error('No test files found.');
  process.exit(2);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '4';
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=120000', '--test-reporter=spec', ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
