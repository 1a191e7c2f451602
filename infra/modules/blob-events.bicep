// The Event Grid subscription that sends uploads in form-files to the function app's blob trigger
// (BlobCreated from Put Blob, Put Block List and Copy Blob: a create-only SAS can also copy into its name). Deployed by hooks/postdeploy.sh, because
// the endpoint needs the app's blobs_extension system key, which exists only once the deployed app
// has started: at provisioning time there is no key to read yet.
targetScope = 'resourceGroup'

@description('Name of the storage account\'s Event Grid system topic.')
param systemTopicName string

@description('Name of the function app.')
param functionAppName string

@secure()
@description('The function app\'s blobs_extension system key.')
param blobsExtensionKey string

@description('Name of the storage account whose form-files container raises the events.')
param storageAccountName string

@description('Container that keeps events still undelivered after every retry (the topic\'s identity may write there).')
param deadLetterContainerName string

resource topic 'Microsoft.EventGrid/systemTopics@2023-12-15-preview' existing = {
  name: systemTopicName
}

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource uploads 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2023-12-15-preview' = {
  parent: topic
  name: 'form-files-blob-created'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${app.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.BlobCreated&code=${blobsExtensionKey}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/form-files/blobs/'
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.api'
          values: ['PutBlob', 'PutBlockList', 'CopyBlob']
        }
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    // After the last retry an event is kept, not dropped; reconciliation completes its upload meanwhile.
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}
