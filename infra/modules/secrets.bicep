// Key Vault for the admin key (RBAC, no access policies): the app reads it through a Key Vault
// reference, so no app setting holds the secret itself.

@description('Name of the Key Vault.')
param name string

@description('Azure region.')
param location string

@description('Tags of the resources.')
param tags object

@secure()
@description('The X-Admin-Key of the admin actions.')
param adminKey string

@description('Name of the identity (the app\'s) that may read the secret.')
param readerIdentityName string

@description('Principal id of that identity.')
param readerPrincipalId string

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource reader 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: readerIdentityName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'formfiles-admin-key'
  properties: { value: adminKey }
}

resource readSecret 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(secret.id, reader.id, keyVaultSecretsUser)
  scope: secret
  properties: {
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

output adminKeySecretUri string = secret.properties.secretUri
