/**
 * What the Functions host sees when it loads the app (package.json `main`): one HTTP function per
 * registry entry, with its route, methods and auth level. The host injects a module named
 * `@azure/functions-core` into the worker; a stand-in for it records the registrations.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Module from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

interface Registration {
  name: string;
  bindings: Record<string, { type: string; direction?: string; methods?: string[]; authLevel?: string; route?: string }>;
}

const registrations: Registration[] = [];
const fakeCore = {
  version: '4.0.0',
  hostVersion: '4.1000.0',
  setProgrammingModel: () => undefined,
  getProgrammingModel: () => undefined,
  registerHook: () => ({ dispose: () => undefined }),
  registerFunction: (metadata: Registration) => {
    registrations.push(metadata);
    return { dispose: () => undefined };
  },
  log: () => undefined,
};

type Require = (this: unknown, id: string) => unknown;
const proto = Module.prototype as unknown as { require: Require };
const originalRequire = proto.require;
proto.require = function (this: unknown, id: string): unknown {
  return id === '@azure/functions-core' ? fakeCore : originalRequire.call(this, id);
};

void describe('the app entry point (package.json main)', () => {
  void it('is dist/src/index.js', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { main: string; type: string };
    assert.equal(pkg.main, 'dist/src/index.js');
    assert.equal(pkg.type, 'module');
  });

  void it('registers negotiate, eventhandler and the page as anonymous HTTP functions', async () => {
    process.env.WebPubSubConnectionString = 'Endpoint=http://localhost:8080;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;';
    await import('../../src/index.js');
    const summary = registrations.map(({ name, bindings }) => {
      const trigger = Object.values(bindings).find((binding) => binding.type === 'httpTrigger');
      return { name, route: trigger?.route, methods: trigger?.methods, authLevel: trigger?.authLevel };
    });
    assert.deepEqual(summary, [
      { name: 'negotiate', route: 'negotiate', methods: ['GET'], authLevel: 'anonymous' },
      { name: 'eventhandler', route: 'eventhandler', methods: ['OPTIONS', 'POST'], authLevel: 'anonymous' },
      { name: 'page', route: '{*path}', methods: ['GET'], authLevel: 'anonymous' },
    ]);
  });

  void it('stops at start, naming the setting and the fix, when a setting is missing or bad', () => {
    const entry = new URL('../../src/index.js', import.meta.url).pathname;
    const run = (env: Record<string, string>): { status: number | null; stderr: string } => {
      const { WebPubSubConnectionString: _cs, WEBPUBSUB_ENDPOINT: _endpoint, WEBPUBSUB_HUB: _hub, ...rest } = process.env;
      const result = spawnSync(process.execPath, [entry], { env: { ...rest, ...env }, encoding: 'utf8', timeout: 30_000 });
      return { status: result.status, stderr: result.stderr };
    };
    const missing = run({});
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /Setting WebPubSubConnectionString: is not set .*local\.settings\.json\.example/);
    const badHub = run({ WebPubSubConnectionString: 'Endpoint=http://localhost:8080;AccessKey=k;Version=1.0;', WEBPUBSUB_HUB: 'no spaces allowed' });
    assert.notEqual(badHub.status, 0);
    assert.match(badHub.stderr, /Setting WEBPUBSUB_HUB: is not a valid hub name/);
  });
});
