import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine, type CommandLine } from '../../../emulator/cli.js';
import { DEFAULT_ACCESS_KEY, hubSettingsOf, type EmulatorConfig } from '../../../emulator/config.js';
import { buildConfig, urlTemplateProblem } from '../../../emulator/configInput.js';

const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(40);

function run(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): CommandLine {
  return parseCommandLine({
    argv,
    env,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return text;
    },
  });
}

function configOf(result: CommandLine): EmulatorConfig {
  assert.equal(result.kind, 'run', result.kind === 'invalid' ? result.problems.join('\n') : '');
  return (result as { config: EmulatorConfig }).config;
}

function problemsOf(result: CommandLine): string {
  assert.equal(result.kind, 'invalid');
  return (result as { problems: readonly string[] }).problems.join('\n');
}

void describe('config: defaults and layering', () => {
  void it('defaults to localhost:8080 with the official emulator key', () => {
    const config = configOf(run([]));
    assert.equal(config.port, 8080);
    assert.equal(config.host, 'localhost');
    assert.deepEqual(config.accessKeys, [DEFAULT_ACCESS_KEY]);
    assert.equal(config.defaultHub.anonymousConnectPolicy, 'deny');
    assert.equal(config.defaultHub.keepAliveIntervalSeconds, 20);
    assert.deepEqual(config.upstream.retryDelaysMs, [1000, 3000, 5000]);
  });

  void it('applies file, then environment, then flags', () => {
    const files = { 'c.json': JSON.stringify({ port: 1000, host: 'h-file', accessKeys: [KEY_A] }) };
    const fromFile = configOf(run(['--config', 'c.json'], {}, files));
    assert.deepEqual([fromFile.port, fromFile.host, fromFile.accessKeys], [1000, 'h-file', [KEY_A]]);
    const fromEnv = configOf(run([], { EMULATOR_CONFIG: 'c.json', EMULATOR_PORT: '2000', EMULATOR_ACCESS_KEYS: `${KEY_A}, ${KEY_B}` }, files));
    assert.deepEqual([fromEnv.port, fromEnv.host, fromEnv.accessKeys], [2000, 'h-file', [KEY_A, KEY_B]]);
    const fromFlags = configOf(run(['--config=c.json', '--port', '3000', '--host=0.0.0.0', '--access-key', KEY_B], { EMULATOR_PORT: '2000' }, files));
    assert.deepEqual([fromFlags.port, fromFlags.host, fromFlags.accessKeys], [3000, '0.0.0.0', [KEY_B]]);
  });

  void it('merges hub settings over the default hub and looks hubs up case-insensitively', () => {
    const files = {
      'c.json': JSON.stringify({
        defaultHub: { keepAliveIntervalSeconds: 5 },
        hubs: { Chat: { anonymousConnectPolicy: 'allow', eventHandlers: [{ urlTemplate: 'http://localhost:7071/eventhandler/{event}?hub={hub}', userEventPattern: '*', systemEvents: ['connect', 'Connected'] }] } },
      }),
    };
    const config = configOf(run(['--config', 'c.json'], {}, files));
    const chat = hubSettingsOf(config, 'CHAT');
    assert.equal(chat.anonymousConnectPolicy, 'allow');
    assert.equal(chat.keepAliveIntervalSeconds, 5);
    assert.deepEqual(chat.eventHandlers[0]?.systemEvents, ['connect', 'connected']);
    assert.equal(hubSettingsOf(config, 'other'), config.defaultHub);
  });

  void it('freezes the result', () => {
    const config = configOf(run([]));
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.accessKeys) && Object.isFrozen(config.upstream));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
  });

  void it('reads the log level from the flag, then the environment', () => {
    assert.equal((run([]) as { logLevel: string }).logLevel, 'info');
    assert.equal((run([], { EMULATOR_LOG_LEVEL: 'WARN' }) as { logLevel: string }).logLevel, 'warn');
    assert.equal((run(['--log-level', 'debug'], { EMULATOR_LOG_LEVEL: 'warn' }) as { logLevel: string }).logLevel, 'debug');
    assert.match(problemsOf(run(['--log-level=loud'])), /--log-level: "loud" is not a log level\. Use one of: debug, info, warn, error, silent\./);
  });

  void it('answers --help', () => {
    const result = run(['--port', 'x', '--help']);
    assert.equal(result.kind, 'help');
  });
});

void describe('config: problems name the setting and the fix', () => {
  const cases: [string, CommandLine, RegExp][] = [
    ['bad port flag', run(['--port', '70000']), /--port: "70000" is not a port number\. Use an integer from 0 to 65535/],
    ['bad port env', run([], { EMULATOR_PORT: 'abc' }), /EMULATOR_PORT: "abc" is not a port number/],
    ['flag without value', run(['--port']), /--port: the option needs a value/],
    ['unknown flag', run(['--verbose']), /--verbose: unknown option/],
    ['short key', run(['--access-key', 'short']), /--access-key: the key is shorter than 32 bytes/],
    ['key with ;', run(['--access-key', `${KEY_A};x`]), /the key contains ';'/],
    ['key with space', run([], { EMULATOR_ACCESS_KEYS: `${KEY_A} x` }), /EMULATOR_ACCESS_KEYS: the key contains whitespace/],
    ['three keys', run(['--access-key', KEY_A, '--access-key', KEY_A, '--access-key', KEY_B]), /--access-key: expected one or two access keys, got 3/],
    ['missing file', run(['--config', 'nope.json']), /--config: cannot read 'nope\.json': the file does not exist/],
    ['bad json', run(['--config', 'c.json'], {}, { 'c.json': '{ port: 1 }' }), /c\.json: not valid JSON/],
    ['unknown key', run(['--config', 'c.json'], {}, { 'c.json': '{"hubs":{"chat":{"eventHandler":[]}}}' }), /c\.json: hubs\.chat\.eventHandler: unknown setting\. Remove it or use one of: eventHandlers/],
    ['bad hub name', run(['--config', 'c.json'], {}, { 'c.json': '{"hubs":{"1chat":{}}}' }), /hubs\.1chat: '1chat' is not a valid hub name/],
    ['twin hubs', run(['--config', 'c.json'], {}, { 'c.json': '{"hubs":{"chat":{},"CHAT":{}}}' }), /hub names are case-insensitive/],
    ['bad policy', run(['--config', 'c.json'], {}, { 'c.json': '{"defaultHub":{"anonymousConnectPolicy":"yes"}}' }), /defaultHub\.anonymousConnectPolicy: "yes" is not a policy\. Use "allow" or "deny"/],
    ['keep-alive range', run(['--config', 'c.json'], {}, { 'c.json': '{"defaultHub":{"keepAliveIntervalSeconds":121}}' }), /keepAliveIntervalSeconds: 121 is out of range/],
    ['system event', run(['--config', 'c.json'], {}, { 'c.json': '{"defaultHub":{"eventHandlers":[{"urlTemplate":"http://x/{event}","systemEvents":["joined"]}]}}' }), /defaultHub\.eventHandlers\[0\]\.systemEvents: "joined" is not a system event/],
    ['event pattern', run(['--config', 'c.json'], {}, { 'c.json': '{"defaultHub":{"eventHandlers":[{"urlTemplate":"http://x/","userEventPattern":"a b"}]}}' }), /userEventPattern: "a b" is not an event pattern/],
    ['upstream timing', run(['--config', 'c.json'], {}, { 'c.json': '{"upstream":{"timeoutMs":0,"retryDelaysMs":[-1]}}' }), /upstream\.timeoutMs: 0 is out of range[\s\S]*upstream\.retryDelaysMs/],
    ['upstream connections', run(['--config', 'c.json'], {}, { 'c.json': '{"upstream":{"maxConnections":64000}}' }), /upstream\.maxConnections: 64000 is out of range\. Use a whole number from 1 to 4096/],
    ['not an object', run(['--config', 'c.json'], {}, { 'c.json': '[]' }), /c\.json: a list is not an object/],
  ];
  for (const [name, result, expected] of cases) {
    void it(name, () => {
    assert.match(problemsOf(result), expected);
  });
  }

  void it('reports every problem at once', () => {
    const problems = problemsOf(run(['--port', 'x', '--host', 'a b'], { EMULATOR_ACCESS_KEYS: 'short' }));
    assert.equal(problems.split('\n').length, 3);
  });
});

void describe('config: URL templates', () => {
  const valid = ['http://localhost:7071/eventhandler', 'https://example.com/api/{hub}/{event}?code=abc', 'http://127.0.0.1:8080/x?h={hub}&e={event}'];
  for (const template of valid) void it(`accepts ${template}`, () => {
    assert.equal(urlTemplateProblem(template), undefined);
  });

  const invalid: [string, RegExp][] = [
    ['ftp://localhost/x', /scheme ftp: is not supported/],
    ['http://{hub}.example.com/x', /may not appear in the scheme or host/],
    ['http://localhost/{category}', /placeholder \{category\} is not supported/],
    ['http://localhost/{event', /brace/],
    ['tunnel:///runtime/webhooks/webpubsub', /scheme tunnel: is not supported/],
    ['not a url', /not a valid URL/],
    ['', /not a URL template/],
  ];
  for (const [template, expected] of invalid) void it(`refuses ${JSON.stringify(template)}`, () => {
    assert.match(urlTemplateProblem(template) ?? '', expected);
  });
});

void describe('config: buildConfig (the test helper path)', () => {
  void it('keeps hub names with a null prototype map', () => {
    const result = buildConfig({ hubs: { constructor: {} } }, 'test');
    assert.equal(result.ok, true);
  });

  void it('rejects __proto__ as an unknown setting without polluting', () => {
    const result = buildConfig(JSON.parse('{"__proto__":{"polluted":1}}'), 'test');
    assert.equal(result.ok, false);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

void describe('config: TLS and keyless settings', () => {
  void it('is plain HTTP with Entra ID tokens refused by default', () => {
    const config = configOf(run([]));
    assert.equal(config.tls, undefined);
    assert.equal(config.allowUnverifiedEntraTokens, false);
  });

  void it('reads a certificate pair or the self-signed switch from flags, environment and file', () => {
    assert.deepEqual(configOf(run(['--tls-cert', 'c.pem', '--tls-key=k.pem'])).tls, { kind: 'files', certFile: 'c.pem', keyFile: 'k.pem' });
    assert.deepEqual(configOf(run(['--tls'])).tls, { kind: 'selfSigned', directory: undefined });
    assert.deepEqual(configOf(run(['--tls-dir', '/certs'])).tls, { kind: 'selfSigned', directory: '/certs' });
    assert.deepEqual(configOf(run([], { EMULATOR_TLS: 'TRUE' })).tls, { kind: 'selfSigned', directory: undefined });
    assert.deepEqual(configOf(run([], { EMULATOR_TLS_CERT: 'c.pem', EMULATOR_TLS_KEY: 'k.pem' })).tls, { kind: 'files', certFile: 'c.pem', keyFile: 'k.pem' });
    const files = { 'c.json': JSON.stringify({ tls: { certFile: 'f.pem', keyFile: 'fk.pem' }, allowUnverifiedEntraTokens: true }) };
    const fromFile = configOf(run(['--config', 'c.json'], {}, files));
    assert.deepEqual([fromFile.tls, fromFile.allowUnverifiedEntraTokens], [{ kind: 'files', certFile: 'f.pem', keyFile: 'fk.pem' }, true]);
    assert.deepEqual(configOf(run(['--config', 'c.json', '--tls'], {}, files)).tls, { kind: 'selfSigned', directory: undefined }, 'flags win');
    assert.equal(configOf(run(['--allow-unverified-entra-tokens'])).allowUnverifiedEntraTokens, true);
    assert.equal(configOf(run([], { EMULATOR_ALLOW_UNVERIFIED_ENTRA_TOKENS: '1' })).allowUnverifiedEntraTokens, true);
  });

  void it('names every incomplete or contradictory TLS setting', () => {
    assert.match(problemsOf(run(['--tls-cert', 'c.pem'])), /--tls-key: is missing: --tls-cert needs it\./);
    assert.match(problemsOf(run(['--tls-key', 'k.pem', '--tls'])), /--tls-cert: a certificate of your own and --tls exclude each other\./);
    assert.match(problemsOf(run(['--tls=yes'])), /--tls: the option takes no value\./);
    assert.match(problemsOf(run([], { EMULATOR_TLS: 'maybe' })), /EMULATOR_TLS: "maybe" is not a switch\. Use true or false\./);
    assert.match(problemsOf(run([], { EMULATOR_ALLOW_UNVERIFIED_ENTRA_TOKENS: 'on' })), /EMULATOR_ALLOW_UNVERIFIED_ENTRA_TOKENS: "on" is not a switch/);
    const file = (tls: unknown): string => problemsOf(run(['--config', 'c.json'], {}, { 'c.json': JSON.stringify({ tls }) }));
    assert.match(file({}), /c\.json: tls: names no certificate\./);
    assert.match(file({ certFile: 'c.pem' }), /c\.json: tls\.keyFile: is missing/);
    assert.match(file({ selfSigned: 'yes' }), /c\.json: tls\.selfSigned: "yes" is not a boolean/);
    assert.match(file({ cert: 'c.pem' }), /c\.json: tls\.cert: unknown setting/);
    assert.match(problemsOf(run(['--config', 'c.json'], {}, { 'c.json': '{"allowUnverifiedEntraTokens":"true"}' })), /allowUnverifiedEntraTokens: "true" is not a boolean/);
  });
});
