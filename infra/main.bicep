// FormFiles infrastructure entry point (azd). The Flex Consumption app, storage, Event Grid and
// monitoring arrive with the infrastructure issue; this file already holds the naming and tagging
// every module will share, so that CI gates infra/ from the first commit.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds resource names and tags every resource.')
param environmentName string

@description('Azure region of every resource.')
param location string = resourceGroup().location

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))

@description('Tags every resource carries, so that azd can find what it deployed.')
output AZURE_TAGS object = { 'azd-env-name': environmentName }

output AZURE_LOCATION string = location

output RESOURCE_TOKEN string = resourceToken
