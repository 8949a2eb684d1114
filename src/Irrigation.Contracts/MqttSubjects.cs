namespace Irrigation.Contracts;

/// <summary>
/// How nats-server names an MQTT topic as a NATS subject (docs.nats.io, MQTT, "MQTT topics and NATS subjects"): levels
/// joined by '.', a '.' inside a level as "//", and in filters '+' as '*' and '#' as '>'. The server reads the MQTT
/// layer's stream by these subjects; the NATS cluster's permissions (irrigation-probe nats-auth) are written in them.
/// </summary>
public static class MqttSubjects
{
    public static string FromTopic(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var subject = new System.Text.StringBuilder(topic.Length + 8);
        foreach (var c in topic)
        {
            if (c == '/')
                subject.Append('.');
            else if (c == '.')
                subject.Append("//");
            else
                subject.Append(c);
        }

        return subject.ToString();
    }

    /// <summary>
    /// The subjects an MQTT filter covers. <c>a/#</c> matches <c>a</c> itself too, which NATS' <c>a.&gt;</c> does not: nats-server
    /// subscribes to both <c>a.&gt;</c> and <c>a</c>, and a permission must allow both (a SUBACK failure otherwise, checked on
    /// nats-server 2.9.10).
    /// </summary>
    public static IReadOnlyList<string> FromFilter(string filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter == "#")
            return [">"];
        var levels = filter.Split('/').Select(level => level switch
        {
            "+" => "*",
            "#" => ">",
            _ => FromTopic(level),
        }).ToArray();
        var subject = string.Join('.', levels);
        return filter.EndsWith("/#", StringComparison.Ordinal) ? [string.Join('.', levels[..^1]), subject] : [subject];
    }

    /// <summary>The topic of a subject under <paramref name="prefix"/>; null when the subject is not under it.</summary>
    public static string? ToTopic(string subject, string prefix)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(prefix);
        if (!subject.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        return subject[prefix.Length..].Replace("//", "\u0000", StringComparison.Ordinal).Replace('.', '/').Replace('\u0000', '.');
    }
}
