// The storage account's Event Grid system topic: the source of the BlobCreated events that complete uploads.
// Its own identity may write to the dead-letter container, and nowhere else.

@description('Name of the system topic.')
param name string

@description('Azure region (the storage account\'s).')
param location string

@description('Tags of the resource.')
param tags object

@description('Name of the storage account whose events it carries.')
param storageAccountName string

@description('Container of the storage account where undeliverable events are dead-lettered.')
param deadLetterContainerName string

var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetters 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2023-12-15-preview' = {
  name: name
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::deadLetters.id, topic.id, blobDataContributor)
  scope: storage::blobService::deadLetters
  properties: {
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
  }
}

output name string = topic.name
