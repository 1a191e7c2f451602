using System.Text.Json.Nodes;
using FormFiles.WorkerHost.Rpc;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;

namespace FormFiles.WorkerHost;

/// <summary>
/// A function of the worker as the host loads it: the worker's metadata with its bindings read from the raw binding JSON
/// (as the host reads them), the trigger binding, and for an HTTP trigger its route (behind host.json's route prefix).
/// </summary>
public sealed class HostedFunction
{
    private readonly TemplateMatcher? route;
    private readonly string[]? methods;

    private HostedFunction(RpcFunctionMetadata metadata, JsonObject trigger, string routePrefix)
    {
        Metadata = metadata;
        Trigger = trigger;
        if (TriggerType.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase))
        {
            var template = trigger["route"]?.GetValue<string>() ?? Name;
            route = new TemplateMatcher(TemplateParser.Parse(routePrefix.Length == 0 ? template : $"{routePrefix}/{template}"), []);
            methods = trigger["methods"]?.AsArray().Select(m => m!.GetValue<string>()).ToArray();
        }
    }

    public string Id => Metadata.FunctionId;

    public string Name => Metadata.Name;

    public string TriggerType => Trigger["type"]!.GetValue<string>();

    /// <summary>The trigger's parameter name, the name of its input.</summary>
    public string TriggerName => Trigger["name"]!.GetValue<string>();

    internal RpcFunctionMetadata Metadata { get; }

    internal JsonObject Trigger { get; }

    /// <summary>From the worker's own metadata (worker indexing): the host takes its name, entry point, script file and raw bindings.</summary>
    internal static HostedFunction FromWorker(RpcFunctionMetadata worker, string routePrefix)
    {
        var metadata = new RpcFunctionMetadata
        {
            Name = worker.Name,
            FunctionId = string.IsNullOrEmpty(worker.FunctionId) ? Guid.NewGuid().ToString() : worker.FunctionId,
            EntryPoint = worker.EntryPoint,
            ScriptFile = worker.ScriptFile,
            Directory = worker.Directory,
            Language = worker.Language,
            IsProxy = false,
        };
        metadata.RawBindings.Add(worker.RawBindings);
        metadata.Properties.Add(worker.Properties);
        JsonObject? trigger = null;
        foreach (var raw in worker.RawBindings)
        {
            var binding = JsonNode.Parse(raw)!.AsObject();
            var info = new BindingInfo { Type = binding["type"]!.GetValue<string>(), Direction = Direction(binding["direction"]?.GetValue<string>()) };
            foreach (var (key, value) in binding["properties"]?.AsObject() ?? [])
                info.Properties[key] = value?.ToString() ?? string.Empty;
            metadata.Bindings[binding["name"]!.GetValue<string>()] = info;
            if (info.Direction == BindingInfo.Types.Direction.In && info.Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase))
                trigger = binding;
        }

        return new HostedFunction(metadata, trigger ?? throw new WorkerHostException($"Function {worker.Name} has no trigger binding."), routePrefix);
    }

    /// <summary>From <c>functions.metadata</c>, for a worker that asks the host to index (use_default_metadata_indexing).</summary>
    internal static IEnumerable<RpcFunctionMetadata> FromMetadataFile(string appDirectory)
    {
        foreach (var function in JsonNode.Parse(File.ReadAllText(Path.Combine(appDirectory, "functions.metadata")))!.AsArray())
        {
            var metadata = new RpcFunctionMetadata
            {
                Name = function!["name"]!.GetValue<string>(),
                EntryPoint = function["entryPoint"]!.GetValue<string>(),
                ScriptFile = function["scriptFile"]!.GetValue<string>(),
                Language = function["language"]?.GetValue<string>() ?? "dotnet-isolated",
                Directory = appDirectory,
            };
            metadata.RawBindings.Add(function["bindings"]!.AsArray().Select(b => b!.ToJsonString()));
            yield return metadata;
        }
    }

    /// <summary>Whether an HTTP request is this function's: its route matches (filling <paramref name="values"/>) and its method is allowed.</summary>
    internal bool Matches(HttpRequest request, RouteValueDictionary values) =>
        route is not null
        && (methods is null || methods.Contains(request.Method, StringComparer.OrdinalIgnoreCase))
        && route.TryMatch(request.Path, values);

    private static BindingInfo.Types.Direction Direction(string? direction) => direction?.ToLowerInvariant() switch
    {
        "out" => BindingInfo.Types.Direction.Out,
        "inout" => BindingInfo.Types.Direction.Inout,
        _ => BindingInfo.Types.Direction.In,
    };
}
