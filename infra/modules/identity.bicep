// The user-assigned managed identity the function app runs as: every data-plane right is granted to it.

@description('Name of the identity.')
param name string

@description('Azure region.')
param location string

@description('Tags of the resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
