metadata description = 'Azure Web PubSub service, keyless: access keys and connection strings are disabled, callers use Entra ID.'

@description('Name of the Web PubSub resource (3-63 characters: letters, digits, hyphens).')
@minLength(3)
@maxLength(63)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the resource.')
param tags object

@description('Pricing tier. Free_F1 allows one unit only.')
@allowed([
  'Free_F1'
  'Standard_S1'
  'Premium_P1'
  'Premium_P2'
])
param skuName string

@description('Units: 1 on Free_F1; 1-10, 20, 30 ... 100 on Standard_S1 and Premium_P1; 100 ... 1000 on Premium_P2.')
@minValue(1)
@maxValue(1000)
param capacity int

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'WebPubSub'
  sku: {
    name: skuName
    // The tier is the part before the underscore: Free_F1 -> Free.
    tier: split(skuName, '_')[0]
    capacity: capacity
  }
  properties: {
    disableLocalAuth: true
    disableAadAuth: false
    publicNetworkAccess: 'Enabled'
    tls: {
      clientCertEnabled: false
    }
  }
}

output id string = webPubSub.id
output name string = webPubSub.name
output hostName string = webPubSub.properties.hostName
