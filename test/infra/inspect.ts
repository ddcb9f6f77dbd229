// Reading the evaluated deployment: the pieces several infrastructure checks look at.
import assert from 'node:assert/strict';
import { get, Opaque, render, resourcesOfType, type Evaluation, type Resource, type Value } from './arm.js';

export const SECURE_WEBHOOK_KEY = new Opaque('⟨webhookKey⟩', true);
export const USER_ID = '11111111-2222-3333-4444-555555555555';

export const ROLES = {
  webPubSubServiceOwner: '12cf5a90-567b-43ae-8102-96cf46c7d9b4',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
} as const;

export function baseParameters(overrides: Record<string, Value> = {}): Record<string, Value> {
  return { environmentName: 'chat-test', location: 'westus3', principalId: USER_ID, webhookKey: SECURE_WEBHOOK_KEY, ...overrides };
}

export function only(resources: Resource[], what: string): Resource {
  assert.equal(resources.length, 1, `expected exactly one ${what}, found ${String(resources.length)}`);
  const [resource] = resources;
  assert.ok(resource);
  return resource;
}

/** App settings of the function app as name -> value. */
export function appSettings(evaluation: Evaluation): Map<string, Value> {
  const site = only(resourcesOfType(evaluation, 'Microsoft.Web/sites'), 'function app');
  const list = get(site.value, 'properties', 'siteConfig', 'appSettings');
  assert.ok(Array.isArray(list), 'the function app has no siteConfig.appSettings array');
  const settings = new Map<string, Value>();
  for (const entry of list) {
    const name = get(entry, 'name');
    if (typeof name !== 'string') assert.fail(`app setting without a literal name: ${render(entry)}`);
    assert.ok(!settings.has(name), `app setting ${name} is set twice`);
    settings.set(name, get(entry, 'value') ?? null);
  }
  return settings;
}

export function hubResource(evaluation: Evaluation): Resource {
  return only(resourcesOfType(evaluation, 'Microsoft.SignalRService/webPubSub/hubs'), 'Web PubSub hub');
}

export function eventHandlers(evaluation: Evaluation): Value[] {
  const handlers = get(hubResource(evaluation).value, 'properties', 'eventHandlers');
  assert.ok(Array.isArray(handlers), 'the hub has no eventHandlers');
  return handlers;
}

/** Splits the rendered urlTemplate into scheme, host, path (no leading slash) and query; unknown parts stay whole. */
export function splitUrlTemplate(urlTemplate: Value): { scheme: string; host: string; path: string; query: string } {
  const unknowns: string[] = [];
  // Unknown parts may contain '/' or '?', so hide them while splitting.
  const masked = render(urlTemplate ?? null).replace(/⟨[^⟩]*⟩/g, (part) => `\uE000${String(unknowns.push(part) - 1)}\uE001`);
  const restore = (text: string): string => text.replace(/\uE000(\d+)\uE001/g, (_m, i: string) => unknowns[Number(i)] ?? '');
  const match = /^(\w+):\/\/([^/]*)\/([^?]*)(?:\?(.*))?$/.exec(masked);
  assert.ok(match, `urlTemplate does not look like a URL: ${render(urlTemplate ?? null)}`);
  return { scheme: match[1] ?? '', host: restore(match[2] ?? ''), path: restore(match[3] ?? ''), query: restore(match[4] ?? '') };
}
