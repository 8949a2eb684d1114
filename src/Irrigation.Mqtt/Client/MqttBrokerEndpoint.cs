using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Irrigation.Mqtt.Client;

/// <summary>One broker address, "host:port" ("[::1]:1883" for an IPv6 literal).</summary>
public readonly record struct MqttBrokerEndpoint(string Host, int Port)
{
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>Parses "host:port"; the reason names what is wrong when it returns false.</summary>
    public static bool TryParse(string? text, out MqttBrokerEndpoint endpoint, [NotNullWhen(false)] out string? reason)
    {
        endpoint = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            reason = "is empty";
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            reason = $"\"{text}\" is not host:port";
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            reason = $"\"{text}\": write an IPv6 address in brackets, [::1]:1883";
            return false;
        }

        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            reason = $"\"{text}\" has no valid host";
            return false;
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            reason = $"\"{text}\": the port must be 1..65535";
            return false;
        }

        endpoint = new MqttBrokerEndpoint(host, port);
        reason = null;
        return true;
    }
}
