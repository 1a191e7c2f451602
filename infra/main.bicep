// FormFiles on Azure: a Flex Consumption function app with a user-assigned identity, its storage
// (no shared key), Application Insights on Log Analytics (no local auth), an optional Key Vault for
// the admin key, and the Event Grid system topic whose subscription modules/blob-events.bicep adds
// after the first deployment (see hooks/postdeploy.sh). Deploy with `azd up`.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds resource names and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region of every resource.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Browser origins allowed to call the API and to PUT to upload SAS URLs (CORS of both). Empty: none.')
param corsAllowedOrigins array = []

@secure()
@description('X-Admin-Key of the admin actions, kept in Key Vault; empty leaves the admin API off.')
param adminKey string = ''

@minValue(40)
@maxValue(1000)
@description('Most instances the Flex Consumption app scales out to.')
param maximumInstanceCount int = 100

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var identityName = 'id-formfiles-${resourceToken}'
var storageAccountName = 'stff${resourceToken}'
var applicationInsightsName = 'appi-${resourceToken}'
var deadLetterContainerName = 'eventgrid-dead-letters'

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: storageAccountName
    location: location
    tags: tags
    corsAllowedOrigins: corsAllowedOrigins
    deploymentContainerName: 'app-package-${resourceToken}'
    deadLetterContainerName: deadLetterContainerName
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
  }
}

module secrets 'modules/secrets.bicep' = if (!empty(adminKey)) {
  name: 'secrets'
  scope: resourceGroup
  params: {
    name: 'kv-ff-${take(resourceToken, 16)}'
    location: location
    tags: tags
    adminKey: adminKey
    readerIdentityName: identityName
    readerPrincipalId: identity.outputs.principalId
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: resourceGroup
  params: {
    planName: 'plan-${resourceToken}'
    appName: 'func-formfiles-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storageAccountName
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: applicationInsightsName
    adminKeySecretUri: empty(adminKey) ? '' : secrets!.outputs.adminKeySecretUri
    maximumInstanceCount: maximumInstanceCount
    corsAllowedOrigins: corsAllowedOrigins
  }
  dependsOn: [monitoring]
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: resourceGroup
  params: {
    identityName: identityName
    principalId: identity.outputs.principalId
    storageAccountName: storageAccountName
    applicationInsightsName: applicationInsightsName
  }
  dependsOn: [storage, monitoring]
}

module blobTopic 'modules/blob-topic.bicep' = {
  name: 'blob-topic'
  scope: resourceGroup
  params: {
    name: 'evgt-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storageAccountName
    deadLetterContainerName: deadLetterContainerName
  }
  dependsOn: [storage]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_BASE_URL string = functionApp.outputs.baseUrl
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output BLOB_EVENTS_SYSTEM_TOPIC_NAME string = blobTopic.outputs.name
output BLOB_EVENTS_DEAD_LETTER_CONTAINER string = deadLetterContainerName
