using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FormFiles.Api;

/// <summary>
/// Navixy's date/time. A <c>/v2/</c> answer writes <c>yyyy-MM-dd HH:mm:ss</c> in the caller's time zone,
/// or ISO 8601 with its offset (<c>yyyy-MM-dd'T'HH:mm:ssZZ</c>) when the request asks for it; a request
/// may send either. Everything the service stores, signs or delivers (webhooks, dialects) stays UTC.
/// </summary>
public static partial class ApiDate
{
    public const string Format = "yyyy-MM-dd HH:mm:ss";

    private const string IsoFormat = "yyyy-MM-dd'T'HH:mm:ss";

    private static readonly string[] IsoInputs = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    private static readonly AsyncLocal<DateStyle?> CurrentStyle = new();

    /// <summary>How the call being answered reads and writes dates (UTC, plain, outside a <c>/v2/</c> call).</summary>
    public static DateStyle Current
    {
        get => CurrentStyle.Value ?? DateStyle.Utc;
        set => CurrentStyle.Value = value;
    }

    public static string Write(DateTimeOffset value) => Current.Write(value);

    /// <summary>A request's date: ISO 8601 with an offset, or <see cref="Format"/> in the caller's time zone.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value) => Current.TryParse(text, out value);

    /// <summary>Writes every <see cref="DateTimeOffset"/> of an answer in the call's <see cref="Current"/> style.</summary>
    public sealed class Converter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TryParse(reader.GetString(), out var value) ? value : throw new JsonException($"Dates are written as {Format}.");

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(ApiDate.Write(value));
    }

    /// <summary>UTC and <see cref="Format"/>, whatever the call: for what is stored or delivered.</summary>
    public sealed class UtcConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateStyle.Utc.TryParse(reader.GetString(), out var value) ? value : throw new JsonException($"Dates are written as {Format}.");

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(DateStyle.Utc.Write(value));
    }

    /// <summary>A time zone and whether dates are ISO 8601.</summary>
    public sealed partial record DateStyle(TimeZoneInfo Zone, bool Iso)
    {
        [System.Text.RegularExpressions.GeneratedRegex(@"^(?<time>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?)(?<zone>Z|[+-][0-9]{2}(:?[0-9]{2})?)$")]
        private static partial System.Text.RegularExpressions.Regex IsoOffset();

        public static DateStyle Utc { get; } = new(TimeZoneInfo.Utc, Iso: false);

        public string Write(DateTimeOffset value)
        {
            var local = TimeZoneInfo.ConvertTime(value, Zone);
            if (!Iso)
                return local.ToString(Format, CultureInfo.InvariantCulture);
            var text = local.ToString(IsoFormat, CultureInfo.InvariantCulture);
            return local.Offset == TimeSpan.Zero ? text + "Z" : text + local.ToString("zzz", CultureInfo.InvariantCulture);
        }

        public bool TryParse(string? text, out DateTimeOffset value)
        {
            value = default;
            if (text is null || text.Length < Format.Length)
                return false;
            if (text[10] == 'T')
            {
                // ISO 8601 must carry its offset (Z, ±hh:mm, ±hhmm or ±hh): without one it would mean nothing definite.
                var iso = IsoOffset().Match(text);
                return iso.Success
                       && DateTimeOffset.TryParseExact(Normalized(iso), IsoInputs, CultureInfo.InvariantCulture, DateTimeStyles.None, out value)
                       && InRange(value);
            }

            if (!DateTime.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wall) || !InRange(wall))
                return false;
            // A wall time the clocks skipped (a DST gap) counts at the zone's standard offset; a repeated one at its standard time.
            var offset = Zone.IsInvalidTime(wall) ? Zone.BaseUtcOffset : Zone.GetUtcOffset(wall);
            value = new DateTimeOffset(wall, offset).ToUniversalTime();
            return true;
        }

        /// <summary>Years 1900 to 9998: every zone's offset stays within DateTimeOffset, and Table Storage (from 1601) takes it.</summary>
        private static bool InRange(DateTimeOffset value) => value.UtcDateTime.Year is >= 1900 and <= 9998;

        private static bool InRange(DateTime value) => value.Year is >= 1900 and <= 9998;

        private static string Normalized(System.Text.RegularExpressions.Match iso) =>
            iso.Groups["zone"].Value switch
            {
                "Z" => iso.Value,
                var zone => iso.Groups["time"].Value + zone[..3] + ":" + (zone.Length > 3 ? zone[^2..] : "00"),
            };

        /// <summary>The calendar day of <paramref name="value"/> in this zone.</summary>
        public DateOnly Day(DateTimeOffset value) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(value, Zone).DateTime);
    }
}
