using System.Globalization;
using System.Text.Json;

namespace FormFiles.Api;

/// <summary>
/// Reading client JSON without surprises: every <c>TryGet</c> here checks the value's kind first (the
/// <see cref="JsonElement"/> ones throw on the wrong kind), numbers are accepted quoted as well as bare
/// (docs/decisions.md), and text that is not valid Unicode is found before anything reads or stores it.
/// </summary>
public static class JsonValues
{
    public static bool TryGetInt64(JsonElement element, out long value)
    {
        value = 0;
        return element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetInt64(out value),
            JsonValueKind.String => long.TryParse(element.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }

    public static bool TryGetInt32(JsonElement element, out int value)
    {
        value = 0;
        if (!TryGetInt64(element, out var wide) || wide is < int.MinValue or > int.MaxValue)
            return false;
        value = (int)wide;
        return true;
    }

    /// <summary>A finite number, bare or quoted.</summary>
    public static bool TryGetDouble(JsonElement element, out double value)
    {
        value = 0;
        var parsed = element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetDouble(out value),
            JsonValueKind.String => double.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
        return parsed && double.IsFinite(value);
    }

    /// <summary>
    /// The path (<c>a.b[2]</c>) of the first property name or string in <paramref name="element"/> that
    /// is not valid Unicode (an escaped unpaired surrogate, or bytes that are not UTF-8), or null when all are.
    /// </summary>
    public static string? FindInvalidText(JsonElement element, string path = "")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsValidString(element) ? null : path;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return path.Length == 0 ? "(a property name)" : $"{path} (a property name)";
                    }

                    if (FindInvalidText(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } found)
                        return found;
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindInvalidText(item, $"{path}[{index++}]") is { } found)
                        return found;
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>Whether <paramref name="text"/> is well-formed UTF-16 (no unpaired surrogate), so that it can be stored and written as JSON.</summary>
    public static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i]))
                continue;
            if (!char.IsHighSurrogate(text[i]) || i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
                return false;
            i++;
        }

        return true;
    }

    private static bool IsValidString(JsonElement element)
    {
        try
        {
            _ = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
