using FormFiles.Api;
using Microsoft.AspNetCore.Http;

namespace FormFiles.Tests.Infrastructure;

/// <summary>Actions that exist only in the test host, to drive the shared plumbing through the real pipeline.</summary>
public static class TestActions
{
    /// <summary><c>test/echo</c>: answers with what the binder read, so the three request forms can be compared.</summary>
    public sealed class Echo : IApiAction
    {
        public string Name => "test/echo";

        public bool UsesApiKey => false;

        public Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
        {
            var p = request.Parameters;
            return Task.FromResult(ApiResults.Ok(new EchoResponse(
                p.RequireHash(),
                p.RequiredInt64("task_id"),
                p.RequiredString("field_id"),
                p.OptionalString("filename"),
                p.OptionalBoolean("flag"),
                p.OptionalObject("metadata"),
                p.OptionalArray("rights"))));
        }
    }

    public sealed record EchoResponse(
        string Hash,
        long TaskId,
        string FieldId,
        string? Filename,
        bool? Flag,
        System.Text.Json.JsonElement? Metadata,
        System.Text.Json.JsonElement? Rights) : ApiResponse;

    /// <summary><c>test/storage-down</c>: throws what the SDK throws when every retry against storage fails.</summary>
    public sealed class StorageDown : IApiAction
    {
        public string Name => "test/storage-down";

        public bool UsesApiKey => false;

        public Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken) =>
            throw new AggregateException(
                "Retry failed after 3 tries.",
                new Azure.RequestFailedException("Connection refused (127.0.0.1:1)"),
                new TaskCanceledException());
    }

    /// <summary><c>test/no-credential</c>: throws what the SDK throws when the managed identity cannot get a token (a missing role in Azure).</summary>
    public sealed class NoCredential : IApiAction
    {
        public string Name => "test/no-credential";

        public bool UsesApiKey => false;

        public Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken) =>
            throw new Azure.Identity.AuthenticationFailedException("ManagedIdentityCredential authentication failed");
    }

    /// <summary><c>test/unwritable</c>: answers with a value that cannot be written as JSON (stored text with an unpaired surrogate).</summary>
    public sealed class Unwritable : IApiAction
    {
        public string Name => "test/unwritable";

        public bool UsesApiKey => false;

        public Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken)
        {
            using var poisoned = System.Text.Json.JsonDocument.Parse("{\"note\": \"\\ud800\"}");
            return Task.FromResult(ApiResults.Ok(new ValueResponse<System.Text.Json.JsonElement>(poisoned.RootElement.Clone())));
        }
    }

    /// <summary><c>test/fail</c>: throws what a bug would throw, with a secret in its message.</summary>
    public sealed class Fail : IApiAction
    {
        public const string Secret = "connection-secret-4f1d";

        public string Name => "test/fail";

        public bool UsesApiKey => false;

        public Task<ApiAnswer> ExecuteAsync(ApiRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"Bug with {Secret} inside");
    }
}
