using System.Globalization;
using System.Text.RegularExpressions;
using Irrigation.Influx.Query;
using Irrigation.Contracts;


namespace Irrigation.Server.Storage;

public sealed record HistoryResponse(string Station, string Quantity, string Unit, string Resolution, long From, long To, IReadOnlyList<double[]> Points);

/// <summary>
/// One quantity of one station over a time range from InfluxDB: raw data up to 6 hours, the 1-minute roll-up up
/// to 7 days, the 1-hour roll-up beyond, each averaged into at most about 720 buckets so a phone draws it quickly.
/// Buckets follow Beijing time (tz('Asia/Shanghai')), so day buckets start at Beijing midnight.
/// </summary>
public sealed partial class HistoryQuery
{
    public const int MaxPoints = 720;
    private readonly InfluxQueryClient _influx;

    public HistoryQuery(InfluxQueryClient influx) => _influx = influx;

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex FieldName();

    /// <summary>Parses <c>range</c> (1h, 6h, 24h, 7d, 30d) or <c>from</c>/<c>to</c> (ISO-8601 or Unix ms).</summary>
    public static bool TryParseRange(string? range, string? from, string? to, DateTimeOffset now, out DateTimeOffset start, out DateTimeOffset end, out string error)
    {
        error = "";
        end = now;
        start = now - TimeSpan.FromHours(24);
        if (from is not null || to is not null)
        {
            if (!TryParseTime(from, out start) || (to is not null && !TryParseTime(to, out end)))
            {
                error = "from/to must be ISO-8601 times or Unix milliseconds.";
                return false;
            }
        }
        else if (range is not null)
        {
            TimeSpan? span = range switch { "1h" => TimeSpan.FromHours(1), "6h" => TimeSpan.FromHours(6), "24h" => TimeSpan.FromHours(24), "7d" => TimeSpan.FromDays(7), "30d" => TimeSpan.FromDays(30), _ => null };
            if (span is null)
            {
                error = "range must be one of 1h, 6h, 24h, 7d, 30d.";
                return false;
            }

            start = now - span.Value;
        }

        if (end <= start || end - start > TimeSpan.FromDays(400))
        {
            error = "The range must be positive and at most 400 days.";
            return false;
        }

        return true;
    }

    private static bool TryParseTime(string? text, out DateTimeOffset time)
    {
        time = default;
        if (text is null)
            return false;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
    }

    /// <summary>Which retention policy, field prefix and bucket for a range.</summary>
    public static (string Policy, string Resolution, string FieldPrefix, TimeSpan Bucket) Plan(TimeSpan span)
    {
        static TimeSpan Bucket(TimeSpan span, TimeSpan minimum)
        {
            var seconds = Math.Max(minimum.TotalSeconds, Math.Ceiling(span.TotalSeconds / MaxPoints / minimum.TotalSeconds) * minimum.TotalSeconds);
            return TimeSpan.FromSeconds(seconds);
        }

        if (span <= TimeSpan.FromHours(6))
            return (InfluxSchema.RawPolicy, "raw", "", Bucket(span, TimeSpan.FromSeconds(10)));
        if (span <= TimeSpan.FromDays(7))
            return (InfluxSchema.MinutePolicy, "1m", "mean_", Bucket(span, TimeSpan.FromMinutes(1)));
        return (InfluxSchema.HourPolicy, "1h", "mean_", Bucket(span, TimeSpan.FromHours(1)));
    }

    public static bool IsValidQuantity(string quantity) =>
        PumpKeys.TryParse(quantity, out _, out var name) ? FieldName().IsMatch(name) : FieldName().IsMatch(quantity ?? "");

    public async Task<IReadOnlyList<double[]>> QueryAsync(string station, string quantity, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var (policy, _, prefix, bucket) = Plan(to - from);
        var isPump = PumpKeys.TryParse(quantity, out var pump, out var name);
        var field = prefix + (isPump ? name : quantity);
        var measurement = isPump ? "pump" : "station";
        var pumpFilter = isPump ? " AND \"pump\" = $pump" : "";
        var query = string.Create(CultureInfo.InvariantCulture,
            $"SELECT mean(\"{field}\") FROM \"{policy}\".\"{measurement}\" WHERE \"station\" = $station{pumpFilter} AND time >= {from.ToUnixTimeMilliseconds()}ms AND time <= {to.ToUnixTimeMilliseconds()}ms GROUP BY time({(long)bucket.TotalSeconds}s) fill(none) tz('Asia/Shanghai')");
        var parameters = new Dictionary<string, object?> { ["station"] = station };
        if (isPump)
            parameters["pump"] = pump.ToString(CultureInfo.InvariantCulture);
        var result = await _influx.QueryAsync(query, parameters, cancellationToken: cancellationToken);
        var points = new List<double[]>();
        foreach (var series in result.Series)
        {
            foreach (var row in series.Values)
            {
                if (row.Length > 1 && row[1].ValueKind == System.Text.Json.JsonValueKind.Number)
                    points.Add([row[0].GetInt64(), row[1].GetDouble()]);
            }
        }

        return points;
    }
}
