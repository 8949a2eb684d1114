using System.Globalization;

namespace Irrigation.Testing;

/// <summary>Reads the Prometheus text the server's /metrics writes.</summary>
public static class PrometheusText
{
    /// <summary>Each sample by its name with labels (<c>irrigation_ingest_dropped_total{reason="bad_value"}</c>); a sample without labels by its bare name (<c>name{} 0</c> too).</summary>
    public static Dictionary<string, double> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
                continue;
            var space = line.LastIndexOf(' ');
            var name = line[..space];
            samples[name.EndsWith("{}", StringComparison.Ordinal) ? name[..^2] : name] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }

        return samples;
    }
}
