import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfig, SETTINGS } from '../../src/config.js';
import { HANDLED_SYSTEM_EVENTS } from '../../src/functions/eventHandler.js';
import { chatEmulatorConfig, DEFAULT_APP_PORT, DEFAULT_EMULATOR_PORT, LOCAL_ACCESS_KEY, localConnectionString } from '../../scripts/chatEmulatorConfig.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

void describe('local development settings', () => {
  const example = JSON.parse(read('local.settings.json.example')) as { Values: Record<string, string> };

  void it('local.settings.json.example lists every setting and points at the local emulator', () => {
    for (const name of Object.values(SETTINGS).filter((name) => name !== SETTINGS.platformAuth)) {
      assert.ok(name in example.Values, `${name} is missing`);
    }
    assert.equal(example.Values.FUNCTIONS_WORKER_RUNTIME, 'node');
    assert.equal(example.Values.AzureWebJobsStorage, '');
    assert.equal(example.Values.WebPubSubConnectionString, localConnectionString(DEFAULT_EMULATOR_PORT));
    const config = loadConfig(example.Values);
    assert.equal(config.webPubSub.endpoint, `http://localhost:${DEFAULT_EMULATOR_PORT}`);
    assert.equal(config.hub, 'Sample_ChatApp');
  });

  void it('webpubsub.local.json is the emulator configuration npm start uses, for the default ports', () => {
    const file = JSON.parse(read('webpubsub.local.json')) as unknown;
    assert.deepEqual(file, chatEmulatorConfig({ appPort: DEFAULT_APP_PORT, emulatorPort: DEFAULT_EMULATOR_PORT }));
  });

  void it('the emulator sends the app every event it handles, to its event handler', () => {
    const config = chatEmulatorConfig({ appPort: 7071, emulatorPort: 8080 }) as { accessKeys: string[]; hubs: Record<string, { eventHandlers: { urlTemplate: string; userEventPattern: string; systemEvents: string[] }[]; anonymousConnectPolicy: string }> };
    const hub = config.hubs.Sample_ChatApp;
    assert.ok(hub);
    assert.deepEqual(hub.eventHandlers[0]?.systemEvents, [...HANDLED_SYSTEM_EVENTS]);
    assert.equal(hub.eventHandlers[0]?.urlTemplate, 'http://localhost:7071/eventhandler');
    assert.equal(hub.eventHandlers[0]?.userEventPattern, '*');
    assert.equal(hub.anonymousConnectPolicy, 'allow');
    assert.deepEqual(config.accessKeys, [LOCAL_ACCESS_KEY]);
  });

  void it('.funcignore keeps only the compiled app, the page, host.json and package files', () => {
    const lines = read('.funcignore').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
    assert.equal(lines[0], '*');
    assert.deepEqual(lines.filter((line) => line.startsWith('!')).sort(), ['!dist/', '!dist/src/', '!dist/src/**', '!host.json', '!package-lock.json', '!package.json', '!public/', '!public/**']);
  });
});
