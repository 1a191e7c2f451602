using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FormFiles.Api;

/// <summary>Navixy's date/time: <c>yyyy-MM-dd HH:mm:ss</c>, in UTC.</summary>
public static class ApiDate
{
    public const string Format = "yyyy-MM-dd HH:mm:ss";

    public static string Write(DateTimeOffset value) => value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        var parsed = DateTime.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date);
        value = parsed ? new DateTimeOffset(date, TimeSpan.Zero) : default;
        return parsed;
    }

    /// <summary>Writes every <see cref="DateTimeOffset"/> in a response in <see cref="Format"/>.</summary>
    public sealed class Converter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TryParse(reader.GetString(), out var value) ? value : throw new JsonException($"Dates are written as {Format}.");

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(ApiDate.Write(value));
    }
}
