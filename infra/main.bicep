targetScope = 'subscription'

metadata description = 'Serverless chat: Azure Functions (Flex Consumption, Node.js) + Azure Web PubSub, keyless, deployed by azd.'

@description('azd environment name; names the resource group and seeds the resource names.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Region for every resource; it must offer Flex Consumption and Web PubSub.')
@minLength(1)
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deploying principal, granted the same data-plane roles as the app; empty skips that.')
param principalId string = ''

@description('Kind of principal principalId is.')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Web PubSub hub the chat uses.')
@minLength(1)
@maxLength(128)
param hubName string = 'Sample_ChatApp'

@description('Web PubSub pricing tier.')
@allowed([
  'Free_F1'
  'Standard_S1'
  'Premium_P1'
  'Premium_P2'
])
param webPubSubSku string = 'Free_F1'

@description('Web PubSub units (Free_F1: 1).')
@minValue(1)
@maxValue(1000)
param webPubSubCapacity int = 1

@description('Memory of each function instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on function instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Always-ready instances for HTTP triggers; above 0 they are billed while idle.')
@minValue(0)
@maxValue(20)
param httpAlwaysReadyInstanceCount int = 0

@description('Point the hub event handler at awps-tunnel (tunnel:///eventhandler) instead of the function app, to debug the app locally against this Web PubSub.')
param eventHandlerTunnel bool = false

@description('Shared secret in the hub event handler URL (?key=) and in the WEBPUBSUB_WEBHOOK_KEY app setting. azd generates it once per environment.')
@secure()
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 40
      noSpecial: true
    }
  }
})
param webhookKey string

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

// Route of the event handler function; host.json sets routePrefix to "", so no /api.
var eventHandlerPath = 'eventhandler'
// connect is blocking and assigns the user id of token-less ("lazy auth") connections.
var systemEvents = [
  'connect'
  'connected'
  'disconnected'
]

var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}'

resource resourceGroup 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module webPubSub 'modules/web-pubsub.bicep' = {
  name: 'web-pubsub'
  scope: resourceGroup
  params: {
    name: 'wps-${resourceToken}'
    location: location
    tags: tags
    skuName: webPubSubSku
    capacity: webPubSubCapacity
  }
}

module roles 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  scope: resourceGroup
  params: {
    identityPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
    webPubSubName: webPubSub.outputs.name
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: resourceGroup
  params: {
    planName: 'plan-${resourceToken}'
    name: functionAppName
    location: location
    tags: tags
    azdServiceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.connectionString
    webPubSubEndpoint: 'https://${webPubSub.outputs.hostName}'
    webPubSubHostName: webPubSub.outputs.hostName
    hubName: hubName
    webhookKey: webhookKey
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    httpAlwaysReadyInstanceCount: httpAlwaysReadyInstanceCount
  }
  // The host reads its storage through the identity as soon as it starts.
  dependsOn: [
    roles
  ]
}

module hub 'modules/web-pubsub-hub.bicep' = {
  name: 'web-pubsub-hub'
  scope: resourceGroup
  params: {
    webPubSubName: webPubSub.outputs.name
    hubName: hubName
    // awps-tunnel forwards tunnel:///<path> to the local upstream it was started with.
    upstreamBaseUrl: eventHandlerTunnel ? 'tunnel://' : 'https://${functionApp.outputs.defaultHostName}'
    eventHandlerPath: eventHandlerPath
    webhookKey: webhookKey
    systemEvents: systemEvents
    anonymousConnectPolicy: 'allow'
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output SERVICE_API_NAME string = functionApp.outputs.name
output WEBPUBSUB_ENDPOINT string = 'https://${webPubSub.outputs.hostName}'
output WEBPUBSUB_HUB string = hub.outputs.name
output CHAT_URL string = 'https://${functionApp.outputs.defaultHostName}/'
