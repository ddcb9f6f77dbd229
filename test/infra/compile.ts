// Compiles infra/main.bicep once per test process and hands out the ARM JSON.
// Without a Bicep CLI the checks fail in CI (which installs one) and are
// skipped, loudly, everywhere else.
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { findBicep, findRepoRoot, buildArgs, formatCommand, run, type BicepCommand } from '../helpers/bicep.js';
import type { JsonObject } from './arm.js';

export const REPO_ROOT = findRepoRoot();
export const MAIN_BICEP = join(REPO_ROOT, 'infra', 'main.bicep');

const INSTALL_HINT = 'run `bash scripts/install-bicep.sh` (installs it into .tools/bicep from NuGet), or install bicep / az bicep';

let found: Promise<BicepCommand | undefined> | undefined;
let compiled: Promise<JsonObject> | undefined;

/** The Bicep CLI, or undefined after skipping the test (outside CI). In CI a missing CLI fails the test. */
export async function bicepOrSkip(t: TestContext): Promise<BicepCommand | undefined> {
  found ??= findBicep();
  const bicep = await found;
  if (bicep) return bicep;
  const message = `Bicep CLI not found: ${INSTALL_HINT}`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n!!! SKIPPING infrastructure check "${t.name}": ${message}\n`);
  t.skip(message);
  return undefined;
}

/** `bicep build infra/main.bicep --stdout`, parsed; build warnings or errors fail it. */
export function compileMain(bicep: BicepCommand): Promise<JsonObject> {
  compiled ??= (async () => {
    const args = buildArgs(bicep, MAIN_BICEP);
    const result = await run(bicep.command, args, { cwd: REPO_ROOT });
    if (result.code !== 0) {
      throw new Error(`${formatCommand(bicep)} ${args.join(' ')} exited with ${String(result.code)}:\n${result.stderr}`);
    }
    const parsed: unknown = JSON.parse(result.stdout);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('bicep build did not print a JSON object');
    return parsed as JsonObject;
  })();
  return compiled;
}
