// The deployment package azd ships (azure.yaml `dist` + `prepackage` hook) holds everything the
// Functions host needs and nothing else: it loads on its own, with production dependencies only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO_ROOT } from './compile.js';

const run = promisify(execFile);

interface ApiService {
  dist?: unknown;
  remoteBuild?: unknown;
  hooks?: { prepackage?: { posix?: { run?: unknown } } };
}

async function apiService(): Promise<ApiService> {
  const manifest = parse(await readFile(join(REPO_ROOT, 'azure.yaml'), 'utf8')) as { services?: { api?: ApiService } };
  assert.ok(manifest.services?.api, 'azure.yaml has no `api` service');
  return manifest.services.api;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

void test('azure.yaml deploys the folder the staging script writes', async () => {
  const api = await apiService();
  assert.equal(api.dist, '.deploy');
  assert.equal(api.remoteBuild, false, 'the package is built locally; a remote build would need the TypeScript sources');
  assert.match(String(api.hooks?.prepackage?.posix?.run), /node dist\/scripts\/stageDeployment\.js/);
});

void test('the staged package loads the app with production dependencies only', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'deploy-package-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  await run(process.execPath, [join(REPO_ROOT, 'dist/scripts/stageDeployment.js'), '--out', out], { cwd: REPO_ROOT });

  const files = await listFiles(out);
  for (const needed of ['host.json', 'package.json', 'dist/src/index.js', 'public/index.html', 'public/vendor/webpubsub-client.js']) {
    assert.ok(files.includes(needed), `${needed} is missing from the package`);
  }
  const appFiles = files.filter((f) => !f.startsWith('node_modules/'));
  assert.deepEqual(appFiles.filter((f) => /^(src|test|emulator|runner|scripts|bench|infra)\//.test(f)), [], 'only compiled app code ships');
  assert.deepEqual(appFiles.filter((f) => f.endsWith('.map') || f.endsWith('.ts') || f.includes('local.settings')), []);
  for (const devOnly of ['typescript', 'eslint', 'playwright-core', '@azure/web-pubsub-client', 'azure-functions-core-tools']) {
    assert.equal(existsSync(join(out, 'node_modules', devOnly)), false, `${devOnly} must not ship`);
  }

  // Loaded as the host would (its `main`), with the settings Azure provides.
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', "const app = await import('./dist/src/index.js'); console.log('loaded', typeof app);"],
    {
      cwd: out,
      env: {
        PATH: process.env.PATH,
        WEBPUBSUB_ENDPOINT: 'https://example.webpubsub.azure.com',
        WEBPUBSUB_HUB: 'Sample_ChatApp',
        AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000000',
        WEBPUBSUB_WEBHOOK_KEY: 'k'.repeat(40),
        WEBPUBSUB_ALLOWED_ORIGINS: 'example.webpubsub.azure.com',
      },
    },
  );
  assert.match(stdout, /loaded object/);
});
