#!/bin/sh
# azd postdeploy: subscribe the deployed function app to BlobCreated events of form-files.
# The subscription's endpoint needs the app's blobs_extension system key, which the app creates when
# it first starts, after provisioning; so it is deployed here (modules/blob-events.bicep), not with
# main.bicep. The key goes straight from the CLI into the deployment and is stored nowhere else.
set -eu

key=""
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  key=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query systemKeys.blobs_extension -o tsv 2>/dev/null || true)
  [ -n "$key" ] && break
  echo "Waiting for the app to start and create its blobs_extension key ($attempt/10)..."
  curl -fsS -o /dev/null "$SERVICE_API_BASE_URL/health" || true
  sleep 15
done
if [ -z "$key" ]; then
  echo "The app has no blobs_extension key yet; run 'azd hooks run postdeploy' again once it has started." >&2
  exit 1
fi

az deployment group create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name blob-events \
  --template-file "$(dirname "$0")/../modules/blob-events.bicep" \
  --parameters systemTopicName="$BLOB_EVENTS_SYSTEM_TOPIC_NAME" functionAppName="$AZURE_FUNCTION_APP_NAME" blobsExtensionKey="$key" \
    storageAccountName="$AZURE_STORAGE_ACCOUNT_NAME" deadLetterContainerName="$BLOB_EVENTS_DEAD_LETTER_CONTAINER" \
  --output none
echo "form-files uploads now reach the BlobCreated function through Event Grid."
