namespace FormFiles.Tests.Infrastructure;

/// <summary>A folder of its own under the system's temp folder, removed with everything in it.</summary>
public sealed class TemporaryFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("formfiles-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
