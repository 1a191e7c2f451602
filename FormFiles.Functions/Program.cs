using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

namespace FormFiles.Functions;

/// <summary>The Functions worker's entry point (in a namespace, so the global <c>Program</c> stays the DevHost's).</summary>
internal static class Program
{
    private static void Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.AddFormFilesFunctions();
        builder.Build().Run();
    }
}
