namespace Irrigation.Mqtt.Topics;

/// <summary>
/// Topic names against topic filters (MQTT 3.1.1 §4.7). Levels are separated by '/'; '+' matches exactly one
/// level, '#' (last, alone in its level) matches the parent level and any number of children. A filter that
/// starts with a wildcard does not match a topic that starts with '$' (§4.7.2). A shared subscription
/// <c>$share/{group}/{filter}</c> (MQTT 5 §4.8.2, which mosquitto also accepts from 3.1.1 clients) matches
/// with its inner filter.
/// </summary>
public static class MqttTopicFilterMatcher
{
    public const string SharePrefix = "$share/";

    /// <summary>True when <paramref name="topic"/> is delivered to a subscription on <paramref name="filter"/>.</summary>
    public static bool IsMatch(string topic, string filter)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(filter);
        if (!TryGetInnerFilter(filter, out var inner) || !IsValidTopicName(topic) || !IsValidPlainFilter(inner))
            return false;
        if (topic[0] == '$' && inner[0] is '+' or '#')
            return false;
        return MatchLevels(topic, inner);
    }

    /// <summary>§4.7.3, §3.3.2.1: at least one character, no wildcards, no U+0000.</summary>
    public static bool IsValidTopicName(string topic) =>
        !string.IsNullOrEmpty(topic) && topic.AsSpan().IndexOfAny('+', '#', '\0') < 0;

    /// <summary>§4.7.1: '#' only as the whole last level, '+' only as a whole level; $share needs a group and a filter.</summary>
    public static bool IsValidFilter(string filter) =>
        filter is not null && TryGetInnerFilter(filter, out var inner) && IsValidPlainFilter(inner);

    /// <summary>The filter a shared subscription matches with; the filter itself when not shared.</summary>
    public static bool TryGetInnerFilter(string filter, out ReadOnlySpan<char> inner)
    {
        ArgumentNullException.ThrowIfNull(filter);
        inner = filter;
        if (!filter.StartsWith(SharePrefix, StringComparison.Ordinal))
            return true;
        var rest = filter.AsSpan(SharePrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || rest[..slash].IndexOfAny('+', '#') >= 0)
            return false;
        inner = rest[(slash + 1)..];
        return !inner.IsEmpty;
    }

    private static bool IsValidPlainFilter(ReadOnlySpan<char> filter)
    {
        if (filter.IsEmpty || filter.Contains('\0'))
            return false;
        while (true)
        {
            var end = filter.IndexOf('/');
            var level = end < 0 ? filter : filter[..end];
            if (level.Contains('#') && (level is not "#" || end >= 0))
                return false;
            if (level.Contains('+') && level is not "+")
                return false;
            if (end < 0)
                return true;
            filter = filter[(end + 1)..];
        }
    }

    private static bool MatchLevels(ReadOnlySpan<char> topic, ReadOnlySpan<char> filter)
    {
        while (true)
        {
            var filterEnd = filter.IndexOf('/');
            var filterLevel = filterEnd < 0 ? filter : filter[..filterEnd];
            if (filterLevel is "#")
                return true;

            var topicEnd = topic.IndexOf('/');
            var topicLevel = topicEnd < 0 ? topic : topic[..topicEnd];
            if (filterLevel is not "+" && !filterLevel.SequenceEqual(topicLevel))
                return false;
            if (filterEnd < 0)
                return topicEnd < 0;

            filter = filter[(filterEnd + 1)..];
            if (topicEnd < 0)
                return filter is "#"; // "sport/#" also matches "sport" (§4.7.1.2)
            topic = topic[(topicEnd + 1)..];
        }
    }
}
