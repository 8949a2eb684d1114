namespace Irrigation.Influx.LineProtocol;

/// <summary>
/// Orders strings by Unicode code point, which is the UTF-8 byte order influxd sorts tag keys in (Go's
/// <c>bytes.Compare</c>) and the order <see cref="LineProtocolWriter.Tag(ReadOnlySpan{char}, ReadOnlySpan{char})"/>
/// checks. It differs from <see cref="StringComparer.Ordinal"/> only where a surrogate pair meets U+E000..U+FFFF.
/// </summary>
public sealed class TagKeyComparer : IComparer<string>
{
    public static TagKeyComparer Instance { get; } = new();

    private TagKeyComparer()
    {
    }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
            return 0;
        if (x is null)
            return -1;
        if (y is null)
            return 1;
        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            if (x[i] != y[i])
                return CodePointRank(x[i]) - CodePointRank(y[i]);
        }

        return x.Length - y.Length;
    }

    /// <summary>Moves surrogates (U+D800..U+DFFF) above U+FFFF so that UTF-16 units compare like code points.</summary>
    private static int CodePointRank(char c) => c switch
    {
        >= '\uE000' => c - 0x800,
        >= '\uD800' => c + 0x2000,
        _ => c,
    };
}
