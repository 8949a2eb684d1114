namespace Irrigation.Contracts;

/// <summary>
/// Per-pump quantities are keyed <c>pump{n}.{quantity}</c> (e.g. <c>pump2.running</c>) in telemetry values, in the
/// latest-state cache and in alarm keys; station-wide ones by their name alone. The number has one or two digits and
/// is not 0 (telemetry.schema.json: <c>^(pump[0-9]{1,2}\.)?[a-z0-9_]+$</c>).
/// </summary>
public static class PumpKeys
{
    public const int MaxPump = 99;

    public static string For(int pump, string quantity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pump, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pump, MaxPump);
        return $"pump{pump}.{quantity}";
    }

    /// <summary>Splits <c>pump{n}.{quantity}</c>; false for a station-wide key or a malformed one.</summary>
    public static bool TryParse(string key, out int pump, out string quantity)
    {
        ArgumentNullException.ThrowIfNull(key);
        quantity = key;
        if (!TryParse(key.AsSpan(), out pump, out var start))
            return false;
        quantity = key[start..];
        return true;
    }

    public static bool TryParse(ReadOnlySpan<char> key, out int pump, out int quantityStart)
    {
        pump = 0;
        quantityStart = 0;
        if (!key.StartsWith("pump", StringComparison.Ordinal))
            return false;
        var dot = key.IndexOf('.');
        if (dot < 5 || dot > 6 || dot == key.Length - 1)
            return false;
        for (var i = 4; i < dot; i++)
        {
            if (key[i] is < '0' or > '9')
                return false;
            pump = (pump * 10) + (key[i] - '0');
        }

        quantityStart = dot + 1;
        return pump > 0 || Reset(out pump);
    }

    /// <summary>The UTF-8 form, for the server's decoder: the pump number and where the quantity starts.</summary>
    public static bool TryParse(ReadOnlySpan<byte> key, out int pump, out int quantityStart)
    {
        pump = 0;
        quantityStart = 0;
        if (!key.StartsWith("pump"u8))
            return false;
        var dot = key.IndexOf((byte)'.');
        if (dot < 5 || dot > 6 || dot == key.Length - 1)
            return false;
        for (var i = 4; i < dot; i++)
        {
            if (key[i] is < (byte)'0' or > (byte)'9')
                return false;
            pump = (pump * 10) + (key[i] - '0');
        }

        quantityStart = dot + 1;
        return pump > 0 || Reset(out pump);
    }

    private static bool Reset(out int pump)
    {
        pump = 0;
        return false;
    }
}
