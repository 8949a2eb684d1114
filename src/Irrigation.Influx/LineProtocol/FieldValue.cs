using System.Globalization;

namespace Irrigation.Influx.LineProtocol;

/// <summary>The type of a field value, as line protocol writes it.</summary>
public enum FieldKind
{
    Float,
    Integer,
    Unsigned,
    Boolean,
    String,
}

/// <summary>One field value of a <see cref="PointData"/>: a float, integer, unsigned integer, boolean or string.</summary>
public readonly record struct FieldValue
{
    private readonly double _float;
    private readonly long _integer;
    private readonly ulong _unsigned;
    private readonly string? _string;

    private FieldValue(FieldKind kind, double f = 0, long i = 0, ulong u = 0, string? s = null)
    {
        Kind = kind;
        _float = f;
        _integer = i;
        _unsigned = u;
        _string = s;
    }

    public FieldKind Kind { get; }

    /// <summary>The value boxed as double, long, ulong, bool or string.</summary>
    public object Value => Kind switch
    {
        FieldKind.Float => _float,
        FieldKind.Integer => _integer,
        FieldKind.Unsigned => _unsigned,
        FieldKind.Boolean => _integer != 0,
        _ => _string!,
    };

    public static FieldValue Float(double value) => new(FieldKind.Float, f: value);

    public static FieldValue Integer(long value) => new(FieldKind.Integer, i: value);

    public static FieldValue Unsigned(ulong value) => new(FieldKind.Unsigned, u: value);

    public static FieldValue Boolean(bool value) => new(FieldKind.Boolean, i: value ? 1 : 0);

    public static FieldValue String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(FieldKind.String, s: value);
    }

    /// <summary>Writes this value as field <paramref name="key"/> of the point <paramref name="writer"/> is building.</summary>
    public void WriteTo(LineProtocolWriter writer, string key)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (Kind)
        {
            case FieldKind.Float:
                writer.Field(key, _float);
                break;
            case FieldKind.Integer:
                writer.Field(key, _integer);
                break;
            case FieldKind.Unsigned:
                writer.Field(key, _unsigned);
                break;
            case FieldKind.Boolean:
                writer.Field(key, _integer != 0);
                break;
            default:
                writer.Field(key, _string.AsSpan());
                break;
        }
    }

    public override string ToString() => Convert.ToString(Value, CultureInfo.InvariantCulture) ?? "";
}
