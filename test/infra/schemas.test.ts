// azure.yaml, host.json and local.settings.json.example against their published
// JSON schemas (copied unchanged into test/infra/schemas/ so this runs offline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import AjvDraft07Module from 'ajv';
import Ajv2019Module from 'ajv/dist/2019.js';
import AjvDraft04Module from 'ajv-draft-04';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { findRepoRoot } from '../helpers/bicep.js';

const ROOT = findRepoRoot();
const SCHEMAS = join(ROOT, 'test', 'infra', 'schemas');

// The packages are CommonJS; under NodeNext the constructor is the `default` export of the module object.
const AjvDraft07 = AjvDraft07Module.default;
const Ajv2019 = Ajv2019Module.default;
const AjvDraft04 = AjvDraft04Module.default;

// Published schemas use keywords and formats Ajv's strict mode rejects; validation of the data is unaffected.
const OPTIONS = { strict: false, allErrors: true, validateFormats: false } as const;

async function readText(path: string): Promise<string> {
  try {
    return await readFile(join(ROOT, path), 'utf8');
  } catch (error) {
    assert.fail(`${path} is missing (${String(error)})`);
  }
}

async function loadSchema(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(SCHEMAS, name), 'utf8')) as Record<string, unknown>;
}

/** `$ref`s to other documents (not "#/..."), without their fragment. */
function externalRefs(schema: unknown): Set<string> {
  const refs = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) refs.add(value.split('#')[0] ?? value);
        else visit(value);
      }
    }
  };
  visit(schema);
  return refs;
}

function explain(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `  ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
}

function check(validate: ValidateFunction, data: unknown, what: string): void {
  const valid = validate(data);
  assert.ok(valid, `${what} does not match its schema:\n${explain(validate.errors)}`);
}

void test('azure.yaml matches the azd schema', async () => {
  const schema = await loadSchema('azure.yaml.json');
  const ajv = new Ajv2019(OPTIONS);
  // These point at azd extension schemas only used under `host: azure.ai.*`; stubs keep it offline.
  for (const ref of externalRefs(schema)) ajv.addSchema({ $id: ref }, ref);
  const validate = ajv.compile(schema);
  const data: unknown = parseYaml(await readText('azure.yaml'));
  check(validate, data, 'azure.yaml');
});

void test('azure.yaml: one function service named api, TypeScript, at the repository root', async () => {
  const data = parseYaml(await readText('azure.yaml')) as { services?: Record<string, Record<string, unknown>> };
  assert.deepEqual(Object.keys(data.services ?? {}), ['api']);
  const api = data.services?.api ?? {};
  assert.equal(api.host, 'function');
  assert.equal(api.language, 'ts');
  assert.equal(api.project, '.');
});

void test('the azd schema still rejects a service without host (the stubs only cover AI hosts)', async () => {
  const schema = await loadSchema('azure.yaml.json');
  const ajv = new Ajv2019(OPTIONS);
  for (const ref of externalRefs(schema)) ajv.addSchema({ $id: ref }, ref);
  const validate = ajv.compile(schema);
  assert.equal(validate({ name: 'x', services: { api: { project: '.', language: 'ts' } } }), false, 'a service without host must be rejected');
});

void test('host.json matches the Functions host schema', async () => {
  const ajv = new AjvDraft07(OPTIONS);
  const validate = ajv.compile(await loadSchema('host.json'));
  check(validate, JSON.parse(await readText('host.json')), 'host.json');
});

void test('local.settings.json.example matches the Core Tools schema', async () => {
  const ajv = new AjvDraft04(OPTIONS);
  const validate = ajv.compile(await loadSchema('local.settings.json'));
  check(validate, JSON.parse(await readText('local.settings.json.example')), 'local.settings.json.example');
});
