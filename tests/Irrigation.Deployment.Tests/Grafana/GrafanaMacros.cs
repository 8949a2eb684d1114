using System.Globalization;
using System.Text.RegularExpressions;

namespace Irrigation.Deployment.Tests.Grafana;

/// <summary>
/// Replaces what Grafana's InfluxDB data source replaces before it sends an InfluxQL query: the time filter, the
/// interval and range variables, and dashboard variables. The window is the last hour, as if the dashboard were
/// opened with "Last 1 hour"; anything left that looks like a variable is an error (a typo in a dashboard).
/// </summary>
public static partial class GrafanaMacros
{
    public const int RangeSeconds = 3600;

    public const string DefaultInterval = "10s";

    public static string Substitute(string query, IReadOnlyDictionary<string, string> variables, string? minInterval = null, int rangeSeconds = RangeSeconds)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(variables);
        var interval = minInterval ?? DefaultInterval;
        var intervalMs = IntervalMilliseconds(interval);
        var builtIn = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["timeFilter"] = $"time > now() - {rangeSeconds}s",
            ["__timeFilter"] = $"time > now() - {rangeSeconds}s",
            ["__interval"] = interval,
            ["interval"] = interval,
            ["__interval_ms"] = intervalMs.ToString(CultureInfo.InvariantCulture),
            ["__range_s"] = rangeSeconds.ToString(CultureInfo.InvariantCulture),
            ["__range_ms"] = (rangeSeconds * 1000L).ToString(CultureInfo.InvariantCulture),
            ["__range"] = $"{rangeSeconds}s",
        };
        var result = Variable().Replace(query, m =>
        {
            var name = m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["plain"].Value;
            if (builtIn.TryGetValue(name, out var value) || variables.TryGetValue(name, out value))
                return value;
            throw new ArgumentException($"unknown variable ${name} in: {query}");
        });
        return result;
    }

    /// <summary>"10s" → 10000; Grafana's interval units s, m, h, d.</summary>
    public static long IntervalMilliseconds(string interval)
    {
        ArgumentNullException.ThrowIfNull(interval);
        var value = long.Parse(interval[..^1], CultureInfo.InvariantCulture);
        return interval[^1] switch
        {
            's' => value * 1000,
            'm' => value * 60_000,
            'h' => value * 3_600_000,
            'd' => value * 86_400_000,
            _ => throw new ArgumentException($"interval '{interval}' must end in s, m, h or d."),
        };
    }

    // $name or ${name}; the longest name wins ($__interval_ms before $__interval) because \w+ is greedy.
    [GeneratedRegex(@"\$(?:\{(?<braced>\w+)\}|(?<plain>\w+))")]
    private static partial Regex Variable();
}
