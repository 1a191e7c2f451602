using Azure;
using FormFiles.Storage;

namespace FormFiles.Webhooks;

/// <summary>
/// An endpoint (table <c>webhooks</c>, PK user id, RK webhook id; the partition's <c>count</c> row
/// counts them). The secret is a signing key: it is stored so that it can sign, shown only when it is
/// made, and never logged. For a day after a rotation the previous secret signs as well.
/// </summary>
public sealed class WebhookEntity : IStampedEntity
{
    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string? Op { get; set; }

    public long Id { get; set; }

    public long UserId { get; set; }

    public string Url { get; set; } = string.Empty;

    /// <summary>The subscribed event types, comma-separated, or <c>*</c>.</summary>
    public string Events { get; set; } = EventTypes.All;

    public string? Description { get; set; }

    public bool Enabled { get; set; } = true;

    public string? DisabledReason { get; set; }

    public DateTimeOffset Created { get; set; }

    public string Secret { get; set; } = string.Empty;

    public string? PreviousSecret { get; set; }

    public DateTimeOffset? PreviousSecretUntil { get; set; }

    /// <summary>Since when every attempt to this endpoint has failed (null after a success).</summary>
    public DateTimeOffset? FailingSince { get; set; }

    private string[] EventList() => Events.Split(',');

    /// <summary>Whether this endpoint is sent events of <paramref name="type"/> (a test goes to the endpoint it names, whatever it subscribes to).</summary>
    public bool Wants(string type) => Enabled && (EventList().Contains(EventTypes.All) || EventList().Contains(type));

    /// <summary>The secrets that sign a delivery now: the current one, and the previous one for a day after a rotation.</summary>
    public IEnumerable<string> Secrets(DateTimeOffset now) =>
        PreviousSecret is not null && PreviousSecretUntil > now ? [Secret, PreviousSecret] : [Secret];

    public WebhookView View() => new(Id, Url, EventList(), Description, Enabled, Created, DisabledReason);
}

/// <summary>An endpoint as the API shows it (no secret).</summary>
public sealed record WebhookView(long Id, string Url, IReadOnlyList<string> Events, string? Description, bool Enabled, DateTimeOffset Created, string? DisabledReason);
