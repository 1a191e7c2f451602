// The Flex Consumption plan and the function app (.NET 10 isolated worker). It runs as the
// user-assigned identity, reaches storage and Application Insights with it, and holds no secret in
// its app settings: every storage connection is identity-based, the admin key a Key Vault reference.

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the function app.')
param appName string

@description('Azure region.')
param location string

@description('Tags of the resources.')
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Name of the storage account (the app\'s own, and FormFiles\').')
param storageAccountName string

@description('Container of the deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Key Vault secret URI of the admin key; empty leaves the admin API off.')
param adminKeySecretUri string

@description('Most instances the app scales out to.')
param maximumInstanceCount int

@description('Origins whose web pages may call the API (FormFiles:Cors:AllowedOrigins); the service answers CORS itself.')
param corsAllowedOrigins array

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: 2048
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// Identity-based connections only: the Functions host's own storage (AzureWebJobsStorage) and
// FormFilesStorage, the Event Grid blob trigger's connection (its queues included).
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    FormFilesStorage__credential: 'managedidentity'
    FormFilesStorage__clientId: identityClientId
    FormFilesStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    FormFilesStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    FormFilesStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    FormFiles__Storage__BlobServiceUri: storage.properties.primaryEndpoints.blob
    FormFiles__Storage__TableServiceUri: storage.properties.primaryEndpoints.table
    FormFiles__Storage__ClientId: identityClientId
    FormFiles__SasSigning: 'UserDelegation'
    FormFiles__PublicBaseUrl: 'https://${app.properties.defaultHostName}'
    FormFiles__AdminKey: empty(adminKeySecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${adminKeySecretUri})'
    FormFiles__Cors__AllowedOrigins: join(corsAllowedOrigins, ',')
  }
}

resource noFtpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

resource noScmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

output name string = app.name
output baseUrl string = 'https://${app.properties.defaultHostName}/v2'
