import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AZURE_APP_SETTINGS, ConfigError, DEFAULT_HUB, loadConfig, SETTINGS } from '../../src/config.js';

const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const LOCAL = { WebPubSubConnectionString: `Endpoint=http://localhost:8080;AccessKey=${KEY};Version=1.0;` };
const AZURE = {
  WEBPUBSUB_ENDPOINT: 'https://chat.webpubsub.azure.com',
  WEBPUBSUB_WEBHOOK_KEY: 'a-long-enough-secret-123',
  AZURE_CLIENT_ID: '00000000-1111-2222-3333-444444444444',
};

function configError(env: Record<string, string>, setting: string, fragment?: RegExp): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.equal(error.setting, setting);
      assert.match(error.message, new RegExp(`^Setting ${setting}: `));
      if (fragment !== undefined) assert.match(error.message, fragment);
      return true;
    },
  );
}

void describe('config', () => {
  void it('reads the local emulator connection string', () => {
    const config = loadConfig(LOCAL);
    assert.deepEqual(config.webPubSub, { kind: 'connectionString', connectionString: LOCAL.WebPubSubConnectionString, endpoint: 'http://localhost:8080', accessKeys: [KEY] });
    assert.equal(config.hub, DEFAULT_HUB);
    assert.equal(config.hub, 'Sample_ChatApp');
    assert.deepEqual(config.allowedOrigins, ['localhost']);
    assert.equal(config.webhookKey, undefined);
    assert.equal(config.platformAuthEnabled, false);
  });

  void it('is frozen', () => {
    const config = loadConfig(LOCAL);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.webPubSub));
    assert.ok(Object.isFrozen(config.allowedOrigins));
  });

  void it('parses connection strings like the SDK: any key case, Port=, no scheme means https', () => {
    const config = loadConfig({ WebPubSubConnectionString: `endpoint=chat.webpubsub.azure.com;accesskey=${KEY}==;port=8443;version=1.0` });
    assert.equal(config.webPubSub.endpoint, 'https://chat.webpubsub.azure.com:8443');
    assert.equal(config.webPubSub.kind === 'connectionString' && config.webPubSub.accessKeys[0], `${KEY}==`);
    assert.deepEqual(config.allowedOrigins, ['chat.webpubsub.azure.com']);
  });

  void it('reads keyless Azure settings', () => {
    const config = loadConfig({ ...AZURE, WEBPUBSUB_HUB: 'chat', WEBPUBSUB_ALLOWED_ORIGINS: 'Chat.WebPubSub.Azure.com, other.webpubsub.azure.com', WEBSITE_AUTH_ENABLED: 'True' });
    assert.deepEqual(config.webPubSub, { kind: 'identity', endpoint: 'https://chat.webpubsub.azure.com', managedIdentityClientId: AZURE.AZURE_CLIENT_ID });
    assert.equal(config.hub, 'chat');
    assert.equal(config.webhookKey, AZURE.WEBPUBSUB_WEBHOOK_KEY);
    assert.deepEqual(config.allowedOrigins, ['chat.webpubsub.azure.com', 'other.webpubsub.azure.com']);
    assert.equal(config.platformAuthEnabled, true);
  });

  void it('treats empty values as unset (local.settings.json lists every setting)', () => {
    const config = loadConfig({ ...LOCAL, WEBPUBSUB_ENDPOINT: '', AZURE_CLIENT_ID: '', WEBPUBSUB_WEBHOOK_KEY: ' ', WEBPUBSUB_HUB: '' });
    assert.equal(config.webPubSub.kind, 'connectionString');
    assert.equal(config.hub, DEFAULT_HUB);
  });

  void it('refuses to start with no way to reach Web PubSub', () => {
    configError({}, SETTINGS.connectionString, /local\.settings\.json\.example/);
  });

  void it('refuses both a connection string and an endpoint', () => {
    configError({ ...LOCAL, WEBPUBSUB_ENDPOINT: AZURE.WEBPUBSUB_ENDPOINT }, SETTINGS.endpoint, /not both/);
  });

  void it('refuses keyless Azure without a webhook key: events could not be verified', () => {
    configError({ WEBPUBSUB_ENDPOINT: AZURE.WEBPUBSUB_ENDPOINT }, SETTINGS.webhookKey, /\?key=/);
  });

  void it('names the setting of every malformed value', () => {
    configError({ WebPubSubConnectionString: 'AccessKey=abc' }, SETTINGS.connectionString, /no Endpoint=/);
    configError({ WebPubSubConnectionString: 'Endpoint=http://localhost:8080' }, SETTINGS.connectionString, /no AccessKey=/);
    configError({ WebPubSubConnectionString: `Endpoint=ftp://x;AccessKey=${KEY}` }, SETTINGS.connectionString, /scheme ftp:/);
    configError({ WebPubSubConnectionString: `Endpoint=http://x;AccessKey=${KEY};Port=99999` }, SETTINGS.connectionString, /Port/);
    configError({ ...AZURE, WEBPUBSUB_ENDPOINT: 'http://chat.webpubsub.azure.com' }, SETTINGS.endpoint, /https/);
    configError({ ...AZURE, WEBPUBSUB_ENDPOINT: 'not a url' }, SETTINGS.endpoint);
    configError({ ...AZURE, AZURE_CLIENT_ID: 'me' }, SETTINGS.clientId, /GUID/);
    configError({ ...LOCAL, WEBPUBSUB_HUB: '1chat' }, SETTINGS.hub);
    configError({ ...LOCAL, WEBPUBSUB_HUB: 'chat room' }, SETTINGS.hub);
    configError({ ...LOCAL, WEBPUBSUB_WEBHOOK_KEY: 'short' }, SETTINGS.webhookKey, /16/);
    configError({ ...LOCAL, WEBPUBSUB_WEBHOOK_KEY: 'has spaces and is long enough' }, SETTINGS.webhookKey);
    configError({ ...LOCAL, WEBPUBSUB_ALLOWED_ORIGINS: '*' }, SETTINGS.allowedOrigins);
    configError({ ...LOCAL, WEBPUBSUB_ALLOWED_ORIGINS: 'https://chat.webpubsub.azure.com' }, SETTINGS.allowedOrigins);
    configError({ ...LOCAL, WEBPUBSUB_ALLOWED_ORIGINS: ',' }, SETTINGS.allowedOrigins);
    configError({ ...LOCAL, WEBSITE_AUTH_ENABLED: 'yes' }, SETTINGS.platformAuth);
  });

  void it('lists the settings the Azure deployment must provide', () => {
    assert.deepEqual([...AZURE_APP_SETTINGS].sort(), ['AZURE_CLIENT_ID', 'WEBPUBSUB_ALLOWED_ORIGINS', 'WEBPUBSUB_ENDPOINT', 'WEBPUBSUB_HUB', 'WEBPUBSUB_WEBHOOK_KEY']);
    assert.ok(Object.isFrozen(AZURE_APP_SETTINGS));
    // Enough for a keyless start: every required setting is among them.
    const env = Object.fromEntries(AZURE_APP_SETTINGS.map((name) => [name, '']));
    assert.doesNotThrow(() => loadConfig({ ...env, ...AZURE }));
  });
});
