using System.Text.RegularExpressions;
using FormFiles.Api;
using FormFiles.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FormFiles.Tests.Api;

/// <summary>FormFiles.http, the REST-client walk-through, names only actions the service has.</summary>
[Collection(ServiceFixture.Collection)]
public sealed partial class HttpFileTests(ServiceFixture service)
{
    [Fact]
    public void Every_request_of_the_http_file_is_a_served_action()
    {
        var file = File.ReadAllText(Path.Combine(DevHost.Azurite.AzuriteProcess.FindRepositoryRoot(AppContext.BaseDirectory), "FormFiles.http"));
        var actions = service.Factory.Services.GetServices<IApiAction>().Select(a => a.Name).ToHashSet(StringComparer.Ordinal);

        var requested = Request().Matches(file).Select(m => m.Groups["action"].Value).ToList();

        Assert.True(requested.Count >= 10, string.Join(", ", requested));
        Assert.All(requested, action => Assert.Contains(action, actions));
        Assert.Contains("task/form/file/upload", requested);
        Assert.Contains("task/form/submit", requested);
    }

    [GeneratedRegex(@"^(GET|POST) \{\{base\}\}/(?<action>[a-z_/]+)", RegexOptions.Multiline)]
    private static partial Regex Request();
}
