using System.Buffers;

namespace Irrigation.Influx.LineProtocol;

/// <summary>Where a piece of text sits in a line; each place escapes a different set of characters.</summary>
public enum LineProtocolElement
{
    Measurement,
    TagKey,
    TagValue,
    FieldKey,
}

/// <summary>
/// The escaping rules of InfluxDB line protocol (v1 line protocol reference, "Special characters"), as bytes:
/// <list type="bullet">
/// <item>measurement: comma and space are escaped with a backslash;</item>
/// <item>tag keys, tag values and field keys: comma, equals sign and space are escaped with a backslash;</item>
/// <item>string field values: inside double quotes, double quote and backslash are escaped with a backslash.</item>
/// </list>
/// Text that no escaping can carry to every server unchanged is refused (see <see cref="Problem"/>); what influxd 1.6
/// and VictoriaMetrics 1.79 were seen to do with it is in docs/influx-client.md.
/// </summary>
public static class LineProtocolText
{
    private static readonly SearchValues<byte> MeasurementSpecials = SearchValues.Create(", "u8);
    private static readonly SearchValues<byte> KeySpecials = SearchValues.Create(",= "u8);
    private static readonly SearchValues<byte> StringSpecials = SearchValues.Create("\"\\"u8);

    /// <summary>
    /// Why <paramref name="utf8"/> cannot be written as <paramref name="element"/>, or null when it can.
    /// Refused, because the servers would silently store something else:
    /// <list type="bullet">
    /// <item>empty text (tag values are the exception: the writer leaves such a tag out, as the protocol requires);</item>
    /// <item>a line feed: the protocol has no escape for it. influxd 1.6 ends the line there and writes the rest of
    /// the text as a point of its own (a raw LF in a tag value created a measurement named after the tail); a
    /// backslash before the LF is stored with the value; VictoriaMetrics splits on every LF;</item>
    /// <item>a backslash at the end, or before a backslash, comma, equals sign, space or double quote: influxd 1.6
    /// treats any character after a backslash as escaped (so a trailing backslash swallows the delimiter), unescapes
    /// <c>\,</c> <c>\=</c> <c>\ </c> (and <c>\"</c> in field keys) and keeps <c>\\</c> as two characters, whereas
    /// VictoriaMetrics reads <c>\\</c> as one backslash and keeps <c>\"</c>. A backslash before any other character is
    /// literal on both and is written as is;</item>
    /// <item>a measurement starting with '#': influxd 1.6 takes the line for a comment and drops it without an error;</item>
    /// <item>a measurement or field key starting with a tab: influxd 1.6 skips whitespace there and stores the name
    /// without it (VictoriaMetrics keeps it).</item>
    /// </list>
    /// </summary>
    public static string? Problem(ReadOnlySpan<byte> utf8, LineProtocolElement element)
    {
        if (utf8.IsEmpty)
            return "is empty";
        if (utf8.Contains((byte)'\n'))
            return "contains a line feed, which line protocol cannot carry";
        if (element == LineProtocolElement.Measurement && utf8[0] == (byte)'#')
            return "starts with '#', which makes the line a comment";
        if (element is LineProtocolElement.Measurement or LineProtocolElement.FieldKey && utf8[0] == (byte)'\t')
            return "starts with a tab, which influxd skips as whitespace";
        var from = 0;
        while (true)
        {
            var i = utf8[from..].IndexOf((byte)'\\');
            if (i < 0)
                return null;
            i += from;
            if (i == utf8.Length - 1)
                return "ends with a backslash, which would escape the delimiter after it";
            if (utf8[i + 1] is (byte)'\\' or (byte)',' or (byte)'=' or (byte)' ' or (byte)'"')
                return "has a backslash before a backslash, comma, equals sign, space or double quote, which servers read differently";
            from = i + 1;
        }
    }

    /// <inheritdoc cref="Problem(ReadOnlySpan{byte}, LineProtocolElement)"/>
    public static string? Problem(string text, LineProtocolElement element)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Problem(System.Text.Encoding.UTF8.GetBytes(text), element);
    }

    /// <summary>Whether a string field value can be written (it must not contain a line feed).</summary>
    public static bool IsWritableString(ReadOnlySpan<char> value) => !value.Contains('\n');

    /// <summary>Most bytes <see cref="Escape"/> can produce for <paramref name="length"/> input bytes.</summary>
    internal static int MaxEscapedLength(int length) => 2 * length;

    /// <summary>Copies <paramref name="utf8"/> to <paramref name="destination"/>, escaping what <paramref name="element"/> requires.</summary>
    internal static int Escape(ReadOnlySpan<byte> utf8, LineProtocolElement element, Span<byte> destination) =>
        Escape(utf8, element == LineProtocolElement.Measurement ? MeasurementSpecials : KeySpecials, destination);

    /// <summary>Copies the body of a string field value (without the quotes), escaping double quotes and backslashes.</summary>
    internal static int EscapeString(ReadOnlySpan<byte> utf8, Span<byte> destination) => Escape(utf8, StringSpecials, destination);

    private static int Escape(ReadOnlySpan<byte> utf8, SearchValues<byte> specials, Span<byte> destination)
    {
        var written = 0;
        while (true)
        {
            var i = utf8.IndexOfAny(specials);
            if (i < 0)
            {
                utf8.CopyTo(destination[written..]);
                return written + utf8.Length;
            }

            utf8[..i].CopyTo(destination[written..]);
            written += i;
            destination[written++] = (byte)'\\';
            destination[written++] = utf8[i];
            utf8 = utf8[(i + 1)..];
        }
    }
}
