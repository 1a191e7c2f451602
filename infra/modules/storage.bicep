// The storage account: FormFiles' tables, the form-files container (uploads, by create-only SAS) and
// the accepted-files container (accepted bytes, which no SAS the service hands out reaches), and the
// app's deployment package. Reached by Microsoft Entra identities only: no shared key, no anonymous blob access,
// HTTPS and TLS 1.2 only.

@description('Name of the storage account (3-24 lowercase letters and digits).')
param name string

@description('Azure region.')
param location string

@description('Tags of the resources.')
param tags object

@description('Browser origins allowed to PUT to upload SAS URLs.')
param corsAllowedOrigins array

@description('Container that holds the function app deployment package.')
param deploymentContainerName string

@description('Container where Event Grid dead-letters blob-created events it could not deliver.')
param deadLetterContainerName string

var tableNames = ['users', 'apikeys', 'templates', 'tasks', 'usertasks', 'counters', 'pending', 'webhooks', 'deliveries', 'deliveriesdue', 'deliveryexpiry', 'idempotency', 'usage', 'maintenance']

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    cors: {
      corsRules: empty(corsAllowedOrigins) ? [] : [
        {
          allowedOrigins: corsAllowedOrigins
          allowedMethods: ['PUT', 'GET', 'HEAD', 'OPTIONS']
          allowedHeaders: ['*']
          exposedHeaders: ['etag', 'x-ms-request-id']
          maxAgeInSeconds: 3600
        }
      ]
    }
    // A blob deleted by mistake (or by a bug) can be brought back for a day. Not longer: what an upload SAS
    // wrote before its rejection (one Put Blob, of the client's size) stays that long as deleted data too.
    deleteRetentionPolicy: { enabled: true, days: 1 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource formFiles 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'form-files'
  properties: { publicAccess: 'None' }
}

resource acceptedFiles 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'accepted-files'
  properties: { publicAccess: 'None' }
}

// What upload credentials can still leave under form-files after the sweep: snapshots a client took of its
// upload (or of the empty tombstone that keeps an upload name), and any upload name the sweep never reached.
// Upload names live at most as long as a reservation (FormFiles:ReservationTtl, at most 7 days); accepted
// bytes live in accepted-files, which no rule touches but for staging/: a Tallyfy upload whose file came
// before its fields waits there for them, and the call deletes it; a process that died meanwhile leaves it
// to the second rule. Lifecycle runs about once a day.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'upload-leftovers'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${formFiles.name}/']
            }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: 8 } }
              snapshot: { delete: { daysAfterCreationGreaterThan: 1 } }
            }
          }
        }
        {
          name: 'staging-leftovers'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${acceptedFiles.name}/staging/']
            }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: 1 } }
            }
          }
        }
      ]
    }
  }
}

// Blob-created events that Event Grid could not deliver to the app after every retry; the sweep's
// reconciliation completes those uploads anyway, and this keeps the evidence.
resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: { publicAccess: 'None' }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tableNames: {
  parent: tableService
  name: table
}]

output name string = account.name
output deploymentContainerName string = deploymentContainer.name
