// The infrastructure and the app agree: the hub calls the event handler where
// the app serves it, with the events the app handles; every setting the app
// reads in Azure is set on the function app; the generated secret passes the
// app's own checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AZURE_APP_SETTINGS, DEFAULT_HUB, MIN_WEBHOOK_KEY_LENGTH } from '../../src/config.js';
import { functions } from '../../src/functions/index.js';
import { HANDLED_SYSTEM_EVENTS, HANDLED_USER_EVENTS } from '../../src/functions/eventHandler.js';
import { bicepOrSkip, compileMain, REPO_ROOT } from './compile.js';
import { evaluateTemplate, get, isSecure, jsonGet, render } from './arm.js';
import { appSettings, baseParameters, eventHandlers, splitUrlTemplate } from './inspect.js';

/** host.json extensions.http.routePrefix; the Functions host defaults it to "api". */
async function routePrefix(): Promise<string> {
  const host = JSON.parse(await readFile(join(REPO_ROOT, 'host.json'), 'utf8')) as { extensions?: { http?: { routePrefix?: unknown } } };
  const prefix = host.extensions?.http?.routePrefix;
  return typeof prefix === 'string' ? prefix : 'api';
}

function eventHandlerDescriptor(): (typeof functions)[number] {
  const descriptor = functions.find((f) => f.name === 'eventhandler');
  assert.ok(descriptor, `no function named eventhandler in src/functions/index.ts (have: ${functions.map((f) => f.name).join(', ')})`);
  return descriptor;
}

/** True when a Web PubSub userEventPattern ("*", "a,b" or one name) matches the event. */
function patternMatches(pattern: string, event: string): boolean {
  return pattern
    .split(',')
    .map((p) => p.trim())
    .some((p) => p === '*' || p === event);
}

void test('infrastructure matches the app', async (t) => {
  const bicep = await bicepOrSkip(t);
  if (!bicep) return;
  const template = await compileMain(bicep);
  const evaluation = evaluateTemplate(template, baseParameters());
  const [handler] = eventHandlers(evaluation);

  await t.test('the hub posts events to the eventhandler function route', async () => {
    const descriptor = eventHandlerDescriptor();
    const prefix = await routePrefix();
    const expected = [prefix, descriptor.route].filter((part) => part !== '').join('/');
    const url = splitUrlTemplate(get(handler, 'urlTemplate') ?? null);
    assert.equal(url.path, expected, `urlTemplate path /${url.path} is not the function's route /${expected} (routePrefix "${prefix}")`);
  });

  await t.test('the eventhandler function takes what Web PubSub sends: anonymous POST and the OPTIONS abuse-protection probe', () => {
    const descriptor = eventHandlerDescriptor();
    assert.equal(descriptor.authLevel, 'anonymous', 'the hub sends ?key=, not a function key, so the function must be anonymous');
    for (const method of ['POST', 'OPTIONS'] as const) assert.ok(descriptor.methods.includes(method), `eventhandler does not accept ${method}`);
  });

  await t.test('the hub subscribes to exactly the system events the app handles', () => {
    const subscribed = get(handler, 'systemEvents');
    assert.ok(Array.isArray(subscribed));
    assert.deepEqual([...subscribed].map((e) => render(e)).sort(), [...HANDLED_SYSTEM_EVENTS].sort());
  });

  await t.test('the hub forwards every user event the app handles', () => {
    const pattern = render(get(handler, 'userEventPattern') ?? null);
    for (const event of HANDLED_USER_EVENTS) assert.ok(patternMatches(pattern, event), `userEventPattern "${pattern}" does not forward "${event}"`);
  });

  await t.test('every app setting the app reads in Azure is set on the function app', () => {
    const settings = appSettings(evaluation);
    const missing = AZURE_APP_SETTINGS.filter((name) => !settings.has(name));
    assert.deepEqual(missing, [], `set these in infra/modules/function-app.bicep: ${missing.join(', ')}`);
  });

  await t.test('the default hub is the app default hub', () => {
    assert.equal(jsonGet(template, 'parameters', 'hubName', 'defaultValue'), DEFAULT_HUB);
    assert.equal(appSettings(evaluation).get('WEBPUBSUB_HUB'), DEFAULT_HUB);
  });

  await t.test('the generated webhook key satisfies the app: long enough, URL-safe', () => {
    const config = jsonGet(template, 'parameters', 'webhookKey', 'metadata', 'azd', 'config');
    const length = jsonGet(config, 'length');
    assert.ok(typeof length === 'number' && length >= MIN_WEBHOOK_KEY_LENGTH, `azd generates ${JSON.stringify(length ?? null)} characters, the app wants at least ${String(MIN_WEBHOOK_KEY_LENGTH)}`);
    assert.equal(jsonGet(config, 'noSpecial'), true, 'special characters would need URL-encoding in the hub urlTemplate');
    assert.ok(isSecure(appSettings(evaluation).get('WEBPUBSUB_WEBHOOK_KEY') ?? null));
  });
});
