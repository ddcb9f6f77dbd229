/**
 * Stages the function app's deployment package in `.deploy/`: the compiled app (`dist/src`), the
 * page (`public/`, with its bundled client), `host.json`, `package*.json` and production
 * dependencies only. azd runs it before packaging (azure.yaml `prepackage` hook) and deploys that
 * folder as is, so Azure never has to build TypeScript or download development tools.
 *
 * Usage: node dist/scripts/stageDeployment.js [--out <dir>] [--skip-install]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DEFAULT_OUT = join(ROOT, '.deploy');

/** What the Functions host needs at run time, relative to the repository root. */
const PACKAGE_CONTENT = ['dist/src', 'public', 'host.json', 'package.json', 'package-lock.json'] as const;

/** Files the host must find, or the package would deploy and fail at its first request. */
const REQUIRED_FILES = ['dist/src/index.js', 'public/index.html', 'public/vendor/webpubsub-client.js'] as const;

export interface StageOptions {
  readonly out: string;
  readonly install: boolean;
}

export function stageDeployment(options: StageOptions): void {
  const missing = REQUIRED_FILES.filter((file) => !existsSync(join(ROOT, file)));
  if (missing.length > 0) {
    throw new Error(`Missing build output: ${missing.join(', ')}. Run \`npm run build\` first.`);
  }
  rmSync(options.out, { recursive: true, force: true });
  mkdirSync(options.out, { recursive: true });
  for (const entry of PACKAGE_CONTENT) {
    cpSync(join(ROOT, entry), join(options.out, entry), {
      recursive: true,
      // Source maps are for local debugging; the deployed app does not load them.
      filter: (source) => !source.endsWith('.map'),
    });
  }
  if (!options.install) return;
  // Optional dependencies are development tools (Core Tools): never part of the package.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--omit=dev', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: options.out,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new Error(`npm ci in ${options.out} failed (exit ${String(result.status)}); see its output above.`);
  }
}

function main(): void {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'skip-install': { type: 'boolean', default: false } },
  });
  const out = resolve(values.out ?? DEFAULT_OUT);
  stageDeployment({ out, install: !values['skip-install'] });
  console.log(`Deployment package staged in ${out}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
