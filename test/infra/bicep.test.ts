// infra/main.bicep compiles and lints clean: no errors and no warnings (an
// unknown API version, an unused parameter or a secret in an output all show
// up as warnings first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buildArgs, lintArgs, run, formatCommand } from '../helpers/bicep.js';
import { bicepOrSkip, MAIN_BICEP, REPO_ROOT } from './compile.js';

interface Diagnostic {
  level: string;
  rule: string;
  message: string;
  where: string;
}

/** Diagnostics from a SARIF log; SARIF's default level is "warning". */
function sarifDiagnostics(text: string): Diagnostic[] {
  const log = JSON.parse(text) as {
    runs?: {
      results?: {
        ruleId?: string;
        level?: string;
        message?: { text?: string };
        locations?: { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } } }[];
      }[];
    }[];
  };
  return (log.runs ?? []).flatMap((r) =>
    (r.results ?? []).map((result) => {
      const location = result.locations?.[0]?.physicalLocation;
      const uri = location?.artifactLocation?.uri ?? '?';
      const file = uri.startsWith('file://') ? relative(REPO_ROOT, new URL(uri).pathname) : uri;
      return {
        level: result.level ?? 'warning',
        rule: result.ruleId ?? '?',
        message: result.message?.text ?? '',
        where: `${file}:${String(location?.region?.startLine ?? '?')}`,
      };
    }),
  );
}

/** Diagnostics Bicep prints on stderr: "file(line,col) : Warning rule: message". */
function textDiagnostics(stderr: string): string[] {
  return stderr.split(/\r?\n/).filter((line) => /\) : (Warning|Error) /.test(line));
}

async function bicepFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.bicep')).map((e) => join(e.parentPath, e.name));
}

void test('bicep build infra/main.bicep: no errors, no warnings', async (t) => {
  const bicep = await bicepOrSkip(t);
  if (!bicep) return;
  const args = buildArgs(bicep, MAIN_BICEP);
  const result = await run(bicep.command, args, { cwd: REPO_ROOT });
  const diagnostics = textDiagnostics(result.stderr);
  if (diagnostics.length > 0) console.error(`bicep build diagnostics:\n${diagnostics.join('\n')}`);
  assert.equal(result.code, 0, `${formatCommand(bicep)} build failed:\n${result.stderr}`);
  assert.deepEqual(diagnostics, [], 'bicep build reported diagnostics');
  assert.doesNotThrow(() => JSON.parse(result.stdout), 'bicep build --stdout did not print JSON');
});

void test('bicep lint infra/main.bicep: no errors, no warnings', async (t) => {
  const bicep = await bicepOrSkip(t);
  if (!bicep) return;
  const args = lintArgs(bicep, MAIN_BICEP);
  const result = await run(bicep.command, args, { cwd: REPO_ROOT });
  assert.equal(result.code, 0, `${formatCommand(bicep)} lint failed:\n${result.stderr}`);
  const diagnostics = sarifDiagnostics(result.stdout);
  const lines = diagnostics.map((d) => `${d.where}: ${d.level} ${d.rule}: ${d.message}`);
  if (lines.length > 0) console.error(`bicep lint diagnostics:\n${lines.join('\n')}`);
  assert.deepEqual(lines, [], `bicep lint reported ${String(lines.length)} diagnostic(s)`);
});

void test('every module under infra/ is used by main.bicep (so lint sees it)', async () => {
  const files = await bicepFiles(join(REPO_ROOT, 'infra'));
  const sources = await Promise.all(files.map((f) => readFile(f, 'utf8')));
  const referenced = new Set<string>();
  for (const [i, source] of sources.entries()) {
    const from = files[i] ?? '';
    for (const match of source.matchAll(/^\s*module\s+\w+\s+'([^']+)'/gm)) {
      referenced.add(join(from, '..', match[1] ?? ''));
    }
  }
  const unused = files.filter((f) => f !== MAIN_BICEP && !referenced.has(f)).map((f) => relative(REPO_ROOT, f));
  assert.deepEqual(unused, []);
});

void test('infra uses local modules only (registry modules need the network)', async () => {
  const files = await bicepFiles(join(REPO_ROOT, 'infra'));
  for (const file of files) {
    const source = await readFile(file, 'utf8');
    assert.doesNotMatch(source, /'(br|ts)[:/]/, `${relative(REPO_ROOT, file)} references a registry or template spec module`);
  }
});
