metadata description = 'The chat hub on an existing Web PubSub resource, with its event handler pointing at the function app. Kept apart from the service so the function app can be created in between (it needs the service host name; the hub needs the function host name).'

@description('Name of the existing Web PubSub resource.')
param webPubSubName string

@description('Hub name, as the app and the page use it.')
@minLength(1)
@maxLength(128)
param hubName string

@description('Scheme and host that receive the events, without a trailing slash: https://<function app host>, or tunnel:// for awps-tunnel.')
param upstreamBaseUrl string

@description('Path of the event handler function on the function app (host.json routePrefix is empty).')
param eventHandlerPath string

@description('Shared secret appended as ?key= so the function can tell Web PubSub apart from anyone else.')
@secure()
param webhookKey string

@description('System events sent upstream: connect (blocking, assigns the user id for lazy auth), connected, disconnected.')
param systemEvents string[]

@description('Clients may connect without a token; the connect event then decides who they are.')
@allowed([
  'allow'
  'deny'
])
param anonymousConnectPolicy string

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' existing = {
  name: webPubSubName
}

resource hub 'Microsoft.SignalRService/webPubSub/hubs@2024-03-01' = {
  parent: webPubSub
  name: hubName
  properties: {
    anonymousConnectPolicy: anonymousConnectPolicy
    eventHandlers: [
      {
        urlTemplate: '${upstreamBaseUrl}/${eventHandlerPath}?key=${webhookKey}'
        userEventPattern: '*'
        systemEvents: systemEvents
      }
    ]
  }
}

output name string = hub.name
