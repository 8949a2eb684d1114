using System.Diagnostics.Metrics;
using System.Text;

namespace Irrigation.Server.Observability;

/// <summary>The server's one meter: every feature's instruments hang off it; /metrics exports it in Prometheus format.</summary>
public static class ServerMeters
{
    public const string Name = "Irrigation.Server";

    /// <summary>The meter (the factory hands every caller the same one and disposes it with the container).</summary>
    public static Meter Create(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        return meters.Create(Name);
    }

    /// <summary><c>BadStation</c> → <c>bad_station</c>, the label value of an enum.</summary>
    public static string ToSnakeCase(this Enum value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var name = value.ToString();
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
                sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }

        return sb.ToString();
    }
}
