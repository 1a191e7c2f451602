using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using FormFiles.DevHost.Azurite;

namespace FormFiles.Tests.Infra;

/// <summary>infra/ compiled to ARM JSON with the Bicep CLI, and its security properties read off the result.</summary>
public sealed class BicepTests
{
    private static readonly string Root = AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory);
    private static readonly Lazy<JsonObject> Main = new(() => Compile("infra/main.bicep"));
    private static readonly Lazy<JsonObject> BlobEvents = new(() => Compile("infra/modules/blob-events.bicep"));

    private static IEnumerable<JsonObject> Resources(JsonObject template, string type) =>
        AllResources(template).Where(r => r["type"]!.GetValue<string>().Equals(type, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void Storage_allows_no_shared_key_no_public_blobs_and_only_https_with_tls_1_2()
    {
        var storage = Assert.Single(Resources(Main.Value, "Microsoft.Storage/storageAccounts"))["properties"]!;

        Assert.False(storage["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.False(storage["allowBlobPublicAccess"]!.GetValue<bool>());
        Assert.True(storage["supportsHttpsTrafficOnly"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", storage["minimumTlsVersion"]!.GetValue<string>());
        var containers = Resources(Main.Value, "Microsoft.Storage/storageAccounts/blobServices/containers").ToList();
        Assert.Contains(containers, c => c["name"]!.ToJsonString().Contains(FormFiles.Files.FileBlobs.ContainerName, StringComparison.Ordinal));
        Assert.Contains(containers, c => c["name"]!.ToJsonString().Contains(FormFiles.Files.FileBlobs.AcceptedContainerName, StringComparison.Ordinal));
        Assert.All(containers, c => Assert.Equal("None", c["properties"]!["publicAccess"]!.GetValue<string>()));
    }

    [Fact]
    public void Every_table_the_service_uses_is_declared()
    {
        var declared = Descendants(Main.Value).OfType<JsonObject>().Select(o => o["tableNames"]).OfType<JsonArray>().Single()
            .Select(t => t!.GetValue<string>());
        var used = new FormFiles.Storage.Tables(new Azure.Data.Tables.TableServiceClient("UseDevelopmentStorage=true")).All.Select(t => t.Name);

        Assert.Equal(used.Order(), declared.Order());
    }

    private static IEnumerable<JsonNode> Descendants(JsonNode node) => node switch
    {
        JsonObject o => o.Select(p => p.Value).OfType<JsonNode>().SelectMany(Descendants).Prepend(node),
        JsonArray a => a.OfType<JsonNode>().SelectMany(Descendants).Prepend(node),
        _ => [node],
    };

    [Fact]
    public void Function_app_is_flex_consumption_dotnet_10_https_only_and_runs_as_a_user_assigned_identity()
    {
        var plan = Assert.Single(Resources(Main.Value, "Microsoft.Web/serverfarms"));
        var app = Assert.Single(Resources(Main.Value, "Microsoft.Web/sites"));

        Assert.Equal("FC1", plan["sku"]!["name"]!.GetValue<string>());
        Assert.Equal("UserAssigned", app["identity"]!["type"]!.GetValue<string>());
        Assert.True(app["properties"]!["httpsOnly"]!.GetValue<bool>());
        var config = app["properties"]!["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", config["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal("10.0", config["runtime"]!["version"]!.GetValue<string>());
        Assert.Equal("UserAssignedIdentity", config["deployment"]!["storage"]!["authentication"]!["type"]!.GetValue<string>());
        Assert.All(Resources(Main.Value, "Microsoft.Web/sites/basicPublishingCredentialsPolicies"),
            policy => Assert.False(policy["properties"]!["allow"]!.GetValue<bool>()));
    }

    [Fact]
    public void App_settings_are_identity_based_and_hold_no_secret()
    {
        var settings = Assert.Single(Resources(Main.Value, "Microsoft.Web/sites/config"))["properties"]!.AsObject();

        foreach (var connection in new[] { "AzureWebJobsStorage", "FormFilesStorage" })
        {
            Assert.Equal("managedidentity", settings[$"{connection}__credential"]!.GetValue<string>());
            foreach (var part in new[] { "clientId", "blobServiceUri", "queueServiceUri", "tableServiceUri" })
                Assert.True(settings.ContainsKey($"{connection}__{part}"), $"{connection}__{part} is missing");
            Assert.False(settings.ContainsKey(connection), $"{connection} must not be a connection string");
        }

        Assert.Equal("UserDelegation", settings["FormFiles__SasSigning"]!.GetValue<string>());
        Assert.True(settings.ContainsKey("FormFiles__PublicBaseUrl"));
        Assert.True(settings.ContainsKey("FormFiles__Storage__BlobServiceUri") && settings.ContainsKey("FormFiles__Storage__TableServiceUri"));
        Assert.Contains("Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Microsoft.KeyVault(SecretUri=", settings["FormFiles__AdminKey"]!.GetValue<string>(), StringComparison.Ordinal);
        foreach (var (name, value) in settings)
        {
            var text = value!.ToJsonString();
            Assert.DoesNotContain("listKeys", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("AccountKey", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessSignature", text, StringComparison.OrdinalIgnoreCase);
            Assert.False(name.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase) && name != "APPLICATIONINSIGHTS_CONNECTION_STRING", name);
        }
    }

    [Fact]
    public void Application_insights_takes_microsoft_entra_authentication_only()
    {
        var component = Assert.Single(Resources(Main.Value, "Microsoft.Insights/components"));

        Assert.True(component["properties"]!["DisableLocalAuth"]!.GetValue<bool>());
    }

    [Fact]
    public void Roles_are_the_least_data_plane_set_granted_to_the_app_identity()
    {
        var text = Main.Value.ToJsonString();
        string[] granted =
        [
            "ba92f5b4-2d11-453d-a403-e96b0029c9fe", // Storage Blob Data Contributor (blobs, user delegation key)
            "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor (blob extension queues)
            "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
            "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher
            "4633458b-17de-408a-b874-0445c86b69e6", // Key Vault Secrets User (the admin key)
        ];
        string[] tooBroad =
        [
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", // Owner
            "b24988ac-6180-42a0-ab88-20f7382dd24c", // Contributor
            "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner
            "17d1049b-9a84-46fb-8f53-869881c3d3ab", // Storage Account Contributor
        ];

        Assert.All(granted, role => Assert.Contains(role, text, StringComparison.Ordinal));
        Assert.All(tooBroad, role => Assert.DoesNotContain(role, text, StringComparison.Ordinal));
        var assignments = Resources(Main.Value, "Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal(4, assignments.Count); // The storage trio (one copy loop), telemetry, the Key Vault secret, and the dead-letter writer.
        Assert.All(assignments, a => Assert.Equal("ServicePrincipal", a["properties"]!["principalType"]!.GetValue<string>()));
        Assert.All(assignments, a => Assert.StartsWith("[guid(", a["name"]!.GetValue<string>(), StringComparison.Ordinal));
    }

    [Fact]
    public void Event_grid_sends_only_uploads_into_form_files_to_the_blob_trigger()
    {
        var subscription = Assert.Single(Resources(BlobEvents.Value, "Microsoft.EventGrid/systemTopics/eventSubscriptions"))["properties"]!;
        var filter = subscription["filter"]!;

        Assert.Equal(["Microsoft.Storage.BlobCreated"], filter["includedEventTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("/blobServices/default/containers/form-files/blobs/", filter["subjectBeginsWith"]!.GetValue<string>());
        var api = Assert.Single(filter["advancedFilters"]!.AsArray())!;
        Assert.Equal("StringIn", api["operatorType"]!.GetValue<string>());
        Assert.Equal("data.api", api["key"]!.GetValue<string>());
        Assert.Equal(["PutBlob", "PutBlockList", "CopyBlob"], api["values"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Contains("functionName=Host.Functions.BlobCreated", subscription["destination"]!["properties"]!["endpointUrl"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("securestring", BlobEvents.Value["parameters"]!["blobsExtensionKey"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Deleted_blobs_are_kept_for_a_day_and_deleted_containers_for_seven()
    {
        var blobService = Assert.Single(Resources(Main.Value, "Microsoft.Storage/storageAccounts/blobServices"))["properties"]!;

        Assert.True(blobService["deleteRetentionPolicy"]!["enabled"]!.GetValue<bool>());
        Assert.Equal(1, blobService["deleteRetentionPolicy"]!["days"]!.GetValue<int>()); // The bound on a rejected upload's bytes kept as deleted data.
        Assert.True(blobService["containerDeleteRetentionPolicy"]!["enabled"]!.GetValue<bool>());
        Assert.Equal(7, blobService["containerDeleteRetentionPolicy"]!["days"]!.GetValue<int>());
    }

    [Fact]
    public void A_lifecycle_rule_removes_what_upload_credentials_leave_under_form_files_and_never_touches_accepted_bytes()
    {
        var policy = Assert.Single(Resources(Main.Value, "Microsoft.Storage/storageAccounts/managementPolicies"))["properties"]!["policy"]!;
        var rules = policy["rules"]!.AsArray();
        Assert.Equal(2, rules.Count);
        var rule = rules.Single(r => r!["name"]!.GetValue<string>() == "upload-leftovers")!;
        var definition = rule["definition"]!;

        Assert.True(rule["enabled"]!.GetValue<bool>());
        var prefixes = definition["filters"]!["prefixMatch"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Equal("[format('{0}/', 'form-files')]", Assert.Single(prefixes));

        // Of accepted-files, only what waits in staging/ for an upload's fields (a day at most); never the accepted bytes.
        var staging = rules.Single(r => r!["name"]!.GetValue<string>() == "staging-leftovers")!["definition"]!;
        Assert.Equal($"[format('{{0}}/{FormFiles.Files.FileBlobs.StagingPrefix}', '{FormFiles.Files.FileBlobs.AcceptedContainerName}')]", Assert.Single(staging["filters"]!["prefixMatch"]!.AsArray())!.GetValue<string>());
        Assert.Equal(1, staging["actions"]!["baseBlob"]!["delete"]!["daysAfterModificationGreaterThan"]!.GetValue<int>());
        // Past the longest reservation (FormFiles:ReservationTtl at most 7 days), no upload name holds anything a file needs.
        var longestTtl = (int)Math.Ceiling(TimeSpan.Parse(typeof(FormFilesOptions).GetProperty(nameof(FormFilesOptions.ReservationTtl))!
            .GetCustomAttribute<System.ComponentModel.DataAnnotations.RangeAttribute>()!.Maximum.ToString()!, System.Globalization.CultureInfo.InvariantCulture).TotalDays);
        Assert.Equal(longestTtl + 1, definition["actions"]!["baseBlob"]!["delete"]!["daysAfterModificationGreaterThan"]!.GetValue<int>());
        Assert.Equal(1, definition["actions"]!["snapshot"]!["delete"]!["daysAfterCreationGreaterThan"]!.GetValue<int>());
    }

    [Fact]
    public void Undeliverable_blob_events_are_dead_lettered_into_a_container_only_the_topic_identity_may_write()
    {
        var subscription = Assert.Single(Resources(BlobEvents.Value, "Microsoft.EventGrid/systemTopics/eventSubscriptions"))["properties"]!;
        var deadLetter = subscription["deadLetterWithResourceIdentity"]!;
        Assert.Equal("SystemAssigned", deadLetter["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("StorageBlob", deadLetter["deadLetterDestination"]!["endpointType"]!.GetValue<string>());
        Assert.Equal("[parameters('deadLetterContainerName')]", deadLetter["deadLetterDestination"]!["properties"]!["blobContainerName"]!.GetValue<string>());

        var topic = Assert.Single(Resources(Main.Value, "Microsoft.EventGrid/systemTopics"));
        Assert.Equal("SystemAssigned", topic["identity"]!["type"]!.GetValue<string>());
        Assert.Contains(Resources(Main.Value, "Microsoft.Storage/storageAccounts/blobServices/containers"),
            c => c["name"]!.ToJsonString().Contains("deadLetterContainerName", StringComparison.Ordinal));
        var writer = Assert.Single(Resources(Main.Value, "Microsoft.Authorization/roleAssignments"),
            a => a["properties"]!["principalId"]!.ToJsonString().Contains("Microsoft.EventGrid/systemTopics", StringComparison.Ordinal));
        Assert.Contains("deadLetterContainerName", writer["scope"]!.ToJsonString(), StringComparison.Ordinal);
        var topicModule = Assert.Single(Resources(Main.Value, "Microsoft.Resources/deployments"), m => m["name"]!.GetValue<string>() == "blob-topic");
        Assert.Equal("ba92f5b4-2d11-453d-a403-e96b0029c9fe", topicModule["properties"]!["template"]!["variables"]!["blobDataContributor"]!.GetValue<string>()); // Blob Data Contributor, on that container only.
    }

    [Fact]
    public void Every_resource_carries_the_azd_environment_tag()
    {
        var located = AllResources(Main.Value).Where(r => r["location"] is not null).ToList();
        var modules = Resources(Main.Value, "Microsoft.Resources/deployments").ToList();

        Assert.Contains("azd-env-name", Main.Value["variables"]!["tags"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.All(located, r => Assert.NotNull(r["tags"]));
        Assert.All(modules.Where(m => m["properties"]!["template"]!["parameters"]!["tags"] is not null),
            m => Assert.Equal("[variables('tags')]", m["properties"]!["parameters"]!["tags"]!["value"]!.GetValue<string>()));
    }

    /// <summary>Every resource, those of nested module deployments included.</summary>
    private static IEnumerable<JsonObject> AllResources(JsonObject template)
    {
        var resources = template["resources"] switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject map => map.Select(p => p.Value!.AsObject()),
            _ => [],
        };
        foreach (var resource in resources)
        {
            yield return resource;
            if (resource["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in AllResources(nested))
                    yield return inner;
            }
        }
    }

    private static JsonObject Compile(string file)
    {
        var bicep = typeof(BicepTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(bicep, File.GetUnixFileMode(bicep) | UnixFileMode.UserExecute); // NuGet extracts without the x bit.
        var start = new ProcessStartInfo(bicep) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var argument in new[] { "build", Path.Combine(Root, file), "--stdout" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var json = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0 && errors.Length == 0, errors);
        return JsonNode.Parse(json.Result)!.AsObject();
    }
}
