// What `azd up` would create, read from the compiled ARM template (modules are
// nested deployments): resource settings, app settings, the hub's event
// handler, role assignments, outputs and where the webhook secret may go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { bicepOrSkip, compileMain, REPO_ROOT } from './compile.js';
import { evaluateTemplate, get, isSecure, jsonGet, Opaque, render, resourcesOfType, sample, type Evaluation, type Json, type JsonObject } from './arm.js';
import { appSettings, baseParameters, eventHandlers, hubResource, only, ROLES, splitUrlTemplate, USER_ID } from './inspect.js';

function scalarText(value: Json | undefined): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

async function readJson(path: string): Promise<JsonObject> {
  return JSON.parse(await readFile(join(REPO_ROOT, path), 'utf8')) as JsonObject;
}

function roleAssignments(evaluation: Evaluation): { role: string; scope: string; principalType: string; principalId: string }[] {
  return resourcesOfType(evaluation, 'Microsoft.Authorization/roleAssignments').map((r) => {
    const definition = render(get(r.value, 'properties', 'roleDefinitionId') ?? null);
    return {
      role: definition.split('/').pop() ?? '',
      scope: render(r.value.scope ?? null),
      principalType: render(get(r.value, 'properties', 'principalType') ?? null),
      principalId: render(get(r.value, 'properties', 'principalId') ?? null),
    };
  });
}

void test('compiled template: resources, settings, secrets, roles, outputs', async (t) => {
  const bicep = await bicepOrSkip(t);
  if (!bicep) return;
  const template = await compileMain(bicep);
  const evaluation = evaluateTemplate(template, baseParameters());

  await t.test('targets the subscription and creates one resource group tagged with the azd environment', () => {
    assert.match(scalarText(template.$schema), /subscriptionDeploymentTemplate/);
    const group = only(resourcesOfType(evaluation, 'Microsoft.Resources/resourceGroups'), 'resource group');
    assert.equal(group.value.name, 'rg-chat-test');
    assert.equal(get(group.value, 'tags', 'azd-env-name'), 'chat-test');
  });

  await t.test('every top-level resource carries the azd-env-name tag', () => {
    const tagged = [
      'Microsoft.ManagedIdentity/userAssignedIdentities',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.OperationalInsights/workspaces',
      'Microsoft.Insights/components',
      'Microsoft.SignalRService/webPubSub',
      'Microsoft.Web/serverfarms',
      'Microsoft.Web/sites',
    ];
    for (const type of tagged) {
      const resource = only(resourcesOfType(evaluation, type), type);
      assert.equal(get(resource.value, 'tags', 'azd-env-name'), 'chat-test', `${type} lacks the azd-env-name tag`);
    }
  });

  await t.test('every resource has a pinned, non-preview API version', () => {
    for (const resource of evaluation.resources) {
      assert.match(resource.apiVersion ?? '', /^\d{4}-\d{2}-\d{2}$/, `${resource.type} has API version ${String(resource.apiVersion)}`);
    }
  });

  await t.test('function app: Flex Consumption, Linux, Node 22, tagged for azd, runs as the user-assigned identity', async () => {
    const plan = only(resourcesOfType(evaluation, 'Microsoft.Web/serverfarms'), 'plan');
    assert.equal(get(plan.value, 'sku', 'name'), 'FC1');
    assert.equal(get(plan.value, 'sku', 'tier'), 'FlexConsumption');
    assert.equal(get(plan.value, 'properties', 'reserved'), true, 'the plan must be Linux (reserved: true)');

    const site = only(resourcesOfType(evaluation, 'Microsoft.Web/sites'), 'function app');
    assert.equal(site.value.kind, 'functionapp,linux');
    const azureYaml = parseYaml(await readFile(join(REPO_ROOT, 'azure.yaml'), 'utf8')) as { services?: Record<string, unknown> };
    const [serviceName] = Object.keys(azureYaml.services ?? {});
    assert.equal(get(site.value, 'tags', 'azd-service-name'), serviceName, 'azd finds the app by the tag azd-service-name = the azure.yaml service');
    assert.equal(get(site.value, 'identity', 'type'), 'UserAssigned');
    assert.equal(get(site.value, 'properties', 'httpsOnly'), true);

    const config = get(site.value, 'properties', 'functionAppConfig');
    assert.deepEqual(get(config, 'runtime'), { name: 'node', version: '22' });
    assert.equal(get(config, 'scaleAndConcurrency', 'instanceMemoryMB'), 2048);
    assert.equal(get(config, 'scaleAndConcurrency', 'maximumInstanceCount'), 40);
    assert.deepEqual(get(config, 'scaleAndConcurrency', 'alwaysReady'), [], 'no always-ready instances by default (they bill while idle)');
    const storage = get(config, 'deployment', 'storage');
    assert.equal(get(storage, 'type'), 'blobContainer');
    assert.equal(get(storage, 'authentication', 'type'), 'UserAssignedIdentity');
    assert.ok(get(storage, 'authentication', 'userAssignedIdentityResourceId') instanceof Opaque);
  });

  await t.test('function app: scale settings follow the parameters', () => {
    const tuned = evaluateTemplate(template, baseParameters({ instanceMemoryMB: 512, maximumInstanceCount: 100, httpAlwaysReadyInstanceCount: 1 }));
    const site = only(resourcesOfType(tuned, 'Microsoft.Web/sites'), 'function app');
    const scale = get(site.value, 'properties', 'functionAppConfig', 'scaleAndConcurrency');
    assert.equal(get(scale, 'instanceMemoryMB'), 512);
    assert.equal(get(scale, 'maximumInstanceCount'), 100);
    assert.deepEqual(get(scale, 'alwaysReady'), [{ name: 'http', instanceCount: 1 }]);
  });

  await t.test('app settings: identity-based host storage and App Insights, no Flex-incompatible or key-based settings', () => {
    const settings = appSettings(evaluation);
    assert.equal(settings.get('AzureWebJobsStorage__credential'), 'managedidentity');
    for (const name of ['AzureWebJobsStorage__accountName', 'AzureWebJobsStorage__blobServiceUri', 'AzureWebJobsStorage__clientId', 'APPLICATIONINSIGHTS_CONNECTION_STRING']) {
      assert.ok(settings.has(name), `missing ${name}`);
    }
    assert.match(render(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING') ?? null), /^ClientId=⟨.+⟩;Authorization=AAD$/);
    assert.equal(render(settings.get('AZURE_CLIENT_ID') ?? null), render(settings.get('AzureWebJobsStorage__clientId') ?? null), 'one identity for everything');
    const forbidden = [
      'AzureWebJobsStorage',
      'AzureWebJobsStorage__tableServiceUri',
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'WEBSITE_CONTENTSHARE',
      'APPINSIGHTS_INSTRUMENTATIONKEY',
      'WebPubSubConnectionString',
    ];
    for (const name of forbidden) assert.ok(!settings.has(name), `${name} must not be set (keyless Flex Consumption app)`);
  });

  await t.test('app settings: Web PubSub endpoint, hub, allowed origin and webhook secret', () => {
    const settings = appSettings(evaluation);
    assert.match(render(settings.get('WEBPUBSUB_ENDPOINT') ?? null), /^https:\/\/⟨reference\(resourceId\('Microsoft\.SignalRService\/webPubSub'.*\.hostName⟩$/);
    assert.equal(settings.get('WEBPUBSUB_HUB'), 'Sample_ChatApp');
    const origins = render(settings.get('WEBPUBSUB_ALLOWED_ORIGINS') ?? null);
    assert.doesNotMatch(origins, /:\/\//, 'allowed origins are host names, without a scheme');
    assert.equal(`https://${origins}`, render(settings.get('WEBPUBSUB_ENDPOINT') ?? null), 'the allowed origin is the Web PubSub host');
    assert.ok(isSecure(settings.get('WEBPUBSUB_WEBHOOK_KEY') ?? null), 'WEBPUBSUB_WEBHOOK_KEY comes from the secure parameter');
    const hubbed = appSettings(evaluateTemplate(template, baseParameters({ hubName: 'other_hub' })));
    assert.equal(hubbed.get('WEBPUBSUB_HUB'), 'other_hub');
  });

  await t.test('storage: no shared keys, no public blobs, only the deployment container, no tables', () => {
    const account = only(resourcesOfType(evaluation, 'Microsoft.Storage/storageAccounts'), 'storage account');
    assert.equal(get(account.value, 'properties', 'allowSharedKeyAccess'), false);
    assert.equal(get(account.value, 'properties', 'allowBlobPublicAccess'), false);
    assert.equal(get(account.value, 'properties', 'minimumTlsVersion'), 'TLS1_2');
    assert.equal(resourcesOfType(evaluation, 'Microsoft.Storage/storageAccounts/tableServices').length, 0);
    assert.equal(resourcesOfType(evaluation, 'Microsoft.Storage/storageAccounts/tableServices/tables').length, 0);
    const container = only(resourcesOfType(evaluation, 'Microsoft.Storage/storageAccounts/blobServices/containers'), 'blob container');
    const containerName = render(container.value.name ?? null).split('/').pop() ?? '';
    assert.match(sample(containerName), /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, `bad container name ${containerName}`);
    const site = only(resourcesOfType(evaluation, 'Microsoft.Web/sites'), 'function app');
    const packageUrl = render(get(site.value, 'properties', 'functionAppConfig', 'deployment', 'storage', 'value') ?? null);
    assert.ok(packageUrl.endsWith(`⟩${containerName}`), `deployment storage ${packageUrl} is not the container ${containerName}`);
  });

  await t.test('monitoring: workspace-based App Insights with local auth disabled', () => {
    const insights = only(resourcesOfType(evaluation, 'Microsoft.Insights/components'), 'Application Insights');
    assert.equal(get(insights.value, 'properties', 'DisableLocalAuth'), true);
    assert.ok(get(insights.value, 'properties', 'WorkspaceResourceId'));
    only(resourcesOfType(evaluation, 'Microsoft.OperationalInsights/workspaces'), 'Log Analytics workspace');
  });

  await t.test('Web PubSub: Free_F1 x1 by default, SKU and capacity from parameters, keyless', () => {
    const service = only(resourcesOfType(evaluation, 'Microsoft.SignalRService/webPubSub'), 'Web PubSub');
    assert.deepEqual(service.value.sku, { name: 'Free_F1', tier: 'Free', capacity: 1 });
    assert.equal(get(service.value, 'properties', 'disableLocalAuth'), true);
    const standard = evaluateTemplate(template, baseParameters({ webPubSubSku: 'Standard_S1', webPubSubCapacity: 2 }));
    const scaled = only(resourcesOfType(standard, 'Microsoft.SignalRService/webPubSub'), 'Web PubSub');
    assert.deepEqual(scaled.value.sku, { name: 'Standard_S1', tier: 'Standard', capacity: 2 });
  });

  await t.test('hub: Sample_ChatApp, anonymous connect allowed, one https event handler on the function app with the secret in ?key=', () => {
    const hub = hubResource(evaluation);
    assert.match(render(hub.value.name ?? null), /\/Sample_ChatApp$/);
    assert.equal(get(hub.value, 'properties', 'anonymousConnectPolicy'), 'allow');
    const handlers = eventHandlers(evaluation);
    assert.equal(handlers.length, 1);
    const [handler] = handlers;
    const url = splitUrlTemplate(get(handler, 'urlTemplate') ?? null);
    assert.equal(url.scheme, 'https');
    assert.match(url.host, /^⟨reference\(resourceId\('Microsoft\.Web\/sites'.*\.defaultHostName⟩$/, 'the handler host is the function app default host name');
    assert.equal(url.query, 'key=⟨webhookKey⟩', 'the query string carries only the secure webhook key');
    assert.ok(isSecure(get(handler, 'urlTemplate') ?? null));
    assert.equal(get(handler, 'userEventPattern'), '*');
    assert.equal(get(handler, 'auth'), undefined, 'no upstream auth: the shared secret authenticates Web PubSub');
  });

  await t.test('hub: eventHandlerTunnel points the same handler path and secret at awps-tunnel', () => {
    const direct = splitUrlTemplate(get(eventHandlers(evaluation)[0], 'urlTemplate') ?? null);
    const tunnelled = eventHandlers(evaluateTemplate(template, baseParameters({ eventHandlerTunnel: true })));
    assert.equal(tunnelled.length, 1);
    const url = splitUrlTemplate(get(tunnelled[0], 'urlTemplate') ?? null);
    assert.deepEqual(url, { scheme: 'tunnel', host: '', path: direct.path, query: direct.query });
  });

  await t.test('roles: the identity gets every data-plane role it needs, on the right resource', () => {
    const expected: [string, string][] = [
      [ROLES.webPubSubServiceOwner, 'Microsoft.SignalRService/webPubSub'],
      [ROLES.storageBlobDataOwner, 'Microsoft.Storage/storageAccounts'],
      [ROLES.monitoringMetricsPublisher, 'Microsoft.Insights/components'],
    ];
    const assignments = roleAssignments(evaluation);
    for (const [role, scopeType] of expected) {
      const forApp = assignments.filter((a) => a.role === role && a.principalType === 'ServicePrincipal');
      assert.equal(forApp.length, 1, `role ${role} is not assigned to the app identity exactly once`);
      const scope = forApp[0]?.scope ?? '';
      assert.ok(scope.startsWith(`${scopeType}/`) || scope.includes(`/providers/${scopeType}/`), `role ${role} is scoped to ${scope}, expected a ${scopeType}`);
      assert.match(forApp[0]?.principalId ?? '', /^⟨reference\(resourceId\('Microsoft\.ManagedIdentity\/userAssignedIdentities'.*\.principalId⟩$/, 'assigned to the identity principal');
      const forUser = assignments.filter((a) => a.role === role && a.principalType === 'User');
      assert.equal(forUser.length, 1, `role ${role} is not assigned to the deploying user`);
      assert.equal(forUser[0]?.principalId, USER_ID);
    }
  });

  await t.test('roles: no assignment for the deploying user when principalId is empty', () => {
    const withoutUser = roleAssignments(evaluateTemplate(template, baseParameters({ principalId: '' })));
    assert.equal(withoutUser.length, Object.keys(ROLES).length);
    assert.ok(withoutUser.every((a) => a.principalType === 'ServicePrincipal'));
  });

  await t.test('outputs: what azd needs, nothing secret', () => {
    const top = new Map(evaluation.outputs.filter((o) => o.deployment.length === 0).map((o) => [o.name, o.value]));
    for (const name of ['AZURE_LOCATION', 'AZURE_TENANT_ID', 'AZURE_RESOURCE_GROUP', 'SERVICE_API_NAME', 'WEBPUBSUB_ENDPOINT', 'WEBPUBSUB_HUB', 'CHAT_URL']) {
      assert.ok(top.has(name), `missing output ${name}`);
    }
    assert.equal(top.get('AZURE_RESOURCE_GROUP'), 'rg-chat-test');
    assert.equal(top.get('WEBPUBSUB_HUB'), 'Sample_ChatApp');
    assert.equal(render(top.get('SERVICE_API_NAME') ?? null), render(only(resourcesOfType(evaluation, 'Microsoft.Web/sites'), 'function app').value.name ?? null));
    assert.match(render(top.get('CHAT_URL') ?? null), /^https:\/\/⟨reference\(resourceId\('Microsoft\.Web\/sites'.*\.defaultHostName⟩\/$/);
    assert.match(render(top.get('WEBPUBSUB_ENDPOINT') ?? null), /^https:\/\/⟨reference\(resourceId\('Microsoft\.SignalRService\/webPubSub'.*\.hostName⟩$/);
    for (const output of evaluation.outputs) {
      const where = `output ${[...output.deployment, output.name].join('/')}`;
      assert.doesNotMatch(output.name, /key|secret|password/i, `${where}: name suggests a secret`);
      assert.doesNotMatch(JSON.stringify(output.raw), /key|secret|password/i, `${where}: value reads a key or secret`);
      assert.ok(!isSecure(output.value), `${where} exposes a secure parameter`);
    }
  });

  await t.test('the webhook secret: a secure parameter azd generates, passed only into secure parameters, never in names or tags', () => {
    const parameter = jsonGet(template, 'parameters', 'webhookKey');
    assert.equal(jsonGet(parameter, 'type'), 'securestring');
    assert.equal(jsonGet(parameter, 'defaultValue'), undefined, 'azd only generates a value for a parameter without default');
    assert.deepEqual(jsonGet(parameter, 'metadata', 'azd'), { type: 'generate', config: { length: 40, noSpecial: true } });
    for (const nested of evaluation.nestedParameters) {
      if (isSecure(nested.value)) {
        assert.equal(nested.innerType.toLowerCase(), 'securestring', `${nested.deployment.join('/')}: ${nested.name} receives the secret but is not @secure()`);
      }
    }
    for (const resource of evaluation.resources) {
      assert.ok(!isSecure(resource.value.name ?? null), `${resource.type} name contains the secret`);
      assert.ok(!isSecure(resource.value.tags ?? null), `${resource.type} tags contain the secret`);
    }
  });

  await t.test('main.parameters.json: maps azd environment values onto existing parameters, with matching defaults', async () => {
    const file = await readJson('infra/main.parameters.json');
    const mapped = file.parameters as Record<string, { value?: Json }>;
    const declared = template.parameters as Record<string, { defaultValue?: Json; type: string }>;
    for (const [name, entry] of Object.entries(mapped)) {
      const definition = declared[name];
      assert.ok(definition, `main.parameters.json sets ${name}, which main.bicep does not declare`);
      const value = entry.value;
      if (typeof value !== 'string') assert.fail(`${name}: expected an azd \${VAR} reference, got ${scalarText(value)}`);
      const match = /^\$\{([A-Z][A-Z0-9_]*)(?:=([^}]*))?\}$/.exec(value);
      assert.ok(match, `${name}: "${value}" is not an azd \${VAR} or \${VAR=default} reference (no literal values)`);
      const fallback = match[2];
      if (definition.defaultValue !== undefined && definition.defaultValue !== '') {
        // azd passes an empty string through when the variable is unset, so a default must be repeated here.
        const bicepDefault = scalarText(definition.defaultValue);
        assert.equal(fallback, bicepDefault, `${name}: write \${${match[1] ?? ''}=${bicepDefault}} so an unset variable keeps the Bicep default`);
      }
    }
    for (const [name, definition] of Object.entries(declared)) {
      const generated = jsonGet(template, 'parameters', name, 'metadata', 'azd', 'type') === 'generate';
      assert.ok(definition.defaultValue !== undefined || name in mapped || generated, `${name} has no default and is not in main.parameters.json`);
    }
    assert.equal(mapped.webhookKey?.value, '${WEBPUBSUB_WEBHOOK_KEY}', 'webhookKey comes from the environment when set, else azd generates it');
  });
});
