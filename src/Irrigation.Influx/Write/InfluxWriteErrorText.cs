using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Irrigation.Influx.Write;

/// <summary>
/// Reads what a write error says about bad points. The wording is influxd's own, observed on 1.6.7 (HTTP 400,
/// JSON <c>{"error": ...}</c>, the same text in the <c>X-Influxdb-Error</c> header):
/// <list type="bullet">
/// <item><c>partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as
/// type float dropped=3</c> — the other points were written; N counts the conflicting points;</item>
/// <item><c>partial write: unable to parse 'LINE': REASON\nunable to parse 'LINE2': REASON dropped=0</c> — the
/// parsable points were written; unparsable lines are listed but not counted in N;</item>
/// <item><c>partial write: points beyond retention policy dropped=1</c>;</item>
/// <item><c>unable to parse 'LINE': REASON</c> without "partial write" — no line parsed, nothing was written.</item>
/// </list>
/// InfluxDB 2.x rejects a batch with a parse error as a whole and names lines by number
/// (<c>{"code":"invalid","message":"... line 2: ..."}</c>); that form is read too.
/// </summary>
internal static partial class InfluxWriteErrorText
{
    private const string PartialWritePrefix = "partial write:";
    private const string UnableToParse = "unable to parse '";

    /// <summary>The error message of a response body: <c>error</c> (1.x) or <c>message</c> (2.x) of a JSON object, else the text.</summary>
    public static string Message(string body, string? headerError)
    {
        var trimmed = body.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(trimmed);
                foreach (var name in (ReadOnlySpan<string>)["error", "message"])
                {
                    if (document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                        return value.GetString()!;
                }
            }
            catch (JsonException)
            {
                return trimmed;
            }
        }

        return trimmed.Length > 0 ? trimmed : headerError ?? "";
    }

    /// <summary>True when the server stored the good points and refused only the ones it reports.</summary>
    public static bool IsPartialWrite(string message) => message.StartsWith(PartialWritePrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The points a partial write lost, by reason; at least one point, at most <paramref name="points"/>.</summary>
    public static IReadOnlyList<InfluxDroppedPoints> PartialWriteDrops(string message, int points)
    {
        var drops = new List<InfluxDroppedPoints>();
        var body = message[PartialWritePrefix.Length..].Trim();
        var dropped = 0;
        var match = DroppedCount().Match(body);
        if (match.Success)
        {
            dropped = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            body = body[..match.Index].TrimEnd();
        }

        var parseErrors = new List<string>();
        var other = new StringBuilder();
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith(UnableToParse, StringComparison.Ordinal))
                parseErrors.Add(line);
            else
                other.Append(other.Length > 0 ? "; " : "").Append(line);
        }

        var budget = Math.Max(points, 1);
        if (parseErrors.Count > 0)
        {
            var count = Math.Min(parseErrors.Count, budget);
            drops.Add(new InfluxDroppedPoints(InfluxDropReason.Unparsable, count, string.Join("; ", parseErrors)));
            budget -= count;
        }

        if (budget > 0 && (dropped > 0 || other.Length > 0 || drops.Count == 0))
        {
            var text = other.Length > 0 ? other.ToString() : message;
            drops.Add(new InfluxDroppedPoints(Classify(text), Math.Clamp(dropped, 1, budget), text));
        }

        return drops;
    }

    /// <summary>
    /// Zero-based indices of the lines of <paramref name="batch"/> that <paramref name="message"/> names: quoted as in
    /// influxd's <c>unable to parse '...'</c>, or numbered (1-based) as in 2.x's <c>line N:</c>. Empty when none can be told.
    /// </summary>
    public static IReadOnlyList<int> NamedLines(ReadOnlySpan<byte> batch, string message)
    {
        var named = new List<int>();
        if (message.Contains(UnableToParse, StringComparison.Ordinal))
        {
            var index = 0;
            foreach (var range in LineRanges(batch))
            {
                var line = Encoding.UTF8.GetString(batch[range]);
                if (message.Contains(UnableToParse + line + "'", StringComparison.Ordinal))
                    named.Add(index);
                index++;
            }

            return named;
        }

        var lineCount = CountLines(batch);
        foreach (Match match in LineNumber().Matches(message))
        {
            if (int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= 1 && number <= lineCount && !named.Contains(number - 1))
                named.Add(number - 1);
        }

        named.Sort();
        return named;
    }

    /// <summary>The kind of bad point a message describes.</summary>
    public static InfluxDropReason Classify(string message)
    {
        if (message.Contains("field type conflict", StringComparison.OrdinalIgnoreCase))
            return InfluxDropReason.FieldTypeConflict;
        if (message.Contains("beyond retention", StringComparison.OrdinalIgnoreCase))
            return InfluxDropReason.BeyondRetention;
        if (message.Contains("parse", StringComparison.OrdinalIgnoreCase))
            return InfluxDropReason.Unparsable;
        if (message.Contains("too large", StringComparison.OrdinalIgnoreCase))
            return InfluxDropReason.TooLarge;
        return InfluxDropReason.Rejected;
    }

    /// <summary>The byte ranges of the non-empty lines of a batch, without their line feeds.</summary>
    public static List<Range> LineRanges(ReadOnlySpan<byte> batch)
    {
        var ranges = new List<Range>();
        var start = 0;
        while (start < batch.Length)
        {
            var end = batch[start..].IndexOf((byte)'\n');
            end = end < 0 ? batch.Length : start + end;
            if (end > start)
                ranges.Add(new Range(start, end));
            start = end + 1;
        }

        return ranges;
    }

    public static int CountLines(ReadOnlySpan<byte> batch) => LineRanges(batch).Count;

    [GeneratedRegex(@"\s*dropped=(\d+)\s*$")]
    private static partial Regex DroppedCount();

    [GeneratedRegex(@"\bline (\d+)\b")]
    private static partial Regex LineNumber();
}
