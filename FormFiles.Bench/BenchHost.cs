using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Bench;

/// <summary>What every benchmark shares: the DevHost's own pipeline on Kestrel, and clients made through the API.</summary>
internal static class BenchHost
{
    public const string AdminKey = "bench-admin-key-0123456789";

    /// <summary>The DevHost's own Program on Kestrel, with a request counter on every storage client.</summary>
    internal sealed class DevHost : WebApplicationFactory<Program>
    {
        private readonly string connectionString;
        private readonly StorageRequestCounter counter;

        private readonly Action<IServiceCollection>? configureServices;
        private readonly IReadOnlyDictionary<string, string>? settings;

        public DevHost(string connectionString, StorageRequestCounter counter, Action<IServiceCollection>? configureServices = null, IReadOnlyDictionary<string, string>? settings = null)
        {
            this.connectionString = connectionString;
            this.counter = counter;
            this.configureServices = configureServices;
            this.settings = settings;
            UseKestrel(0);
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseSetting("FormFiles:Storage:ConnectionString", connectionString);
            builder.UseSetting("FormFiles:AdminKey", AdminKey);
            builder.UseSetting("FormFiles:RateLimit:PermitsPerSecond", "100000"); // A benchmark drives one key flat out.
            builder.UseSetting("FormFiles:RateLimit:Burst", "1000000");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Azure.Core", "Error"); // Expected 404s (delete-if-exists) are not news.
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
                builder.UseSetting(key, value);
            builder.ConfigureTestServices(services =>
            {
                services.AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(counter, HttpPipelinePosition.PerCall)));
                configureServices?.Invoke(services);
            });
        }
    }

    /// <summary>Users, keys, templates and tasks, made through the API as a client would.</summary>
    internal static class Setup
    {
        public sealed record BenchUser(long Id, string Hash, long[] Tasks);

        public static async Task<BenchUser> UserWithTasksAsync(HttpClient client, int taskCount, JsonArray? fields = null)
        {
            var id = (await AdminAsync(client, "admin/user/create", new JsonObject { ["label"] = "bench" }))["id"]!.GetValue<long>();
            var hash = (await AdminAsync(client, "admin/api_key/create", new JsonObject { ["user_id"] = id, ["rights"] = new JsonArray("task_update") }))["hash"]!.GetValue<string>();
            var template = (await CallAsync(client, hash, "form/template/create", new JsonObject
            {
                ["template"] = new JsonObject
                {
                    ["label"] = "Proof of delivery",
                    ["fields"] = fields ?? new JsonArray(
                        new JsonObject { ["id"] = "photo", ["label"] = "Parcel", ["type"] = "photo" },
                        new JsonObject { ["id"] = "photo2", ["label"] = "Door", ["type"] = "photo" }),
                },
            }))["id"]!.GetValue<long>();
            var tasks = new long[taskCount];
            for (var t = 0; t < taskCount; t++)
            {
                tasks[t] = (await CallAsync(client, hash, "task/create", new JsonObject
                {
                    ["task"] = new JsonObject { ["label"] = $"Delivery {t}", ["form_template_id"] = template },
                    ["create_form"] = true,
                }))["id"]!.GetValue<long>();
            }

            return new BenchUser(id, hash, tasks);
        }

        private static Task<JsonObject> AdminAsync(HttpClient client, string action, JsonObject body) => SendAsync(client, action, body, "X-Admin-Key", AdminKey);

        public static Task<JsonObject> CallAsync(HttpClient client, string hash, string action, JsonObject body) => SendAsync(client, action, body, "Authorization", $"NVX {hash}");

        private static async Task<JsonObject> SendAsync(HttpClient client, string action, JsonObject body, string header, string value)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/{action}") { Content = JsonContent.Create(body) };
            request.Headers.TryAddWithoutValidation(header, value);
            using var response = await client.SendAsync(request);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            return response.IsSuccessStatusCode ? json : throw new InvalidOperationException($"{action}: {json.ToJsonString()}");
        }
    }
}
