using System.Buffers;
using System.Text;
using Irrigation.Influx.LineProtocol;

namespace Irrigation.Influx.Tests.TestSupport;

/// <summary>Line protocol text produced by a <see cref="LineProtocolWriter"/>, for exact-string assertions.</summary>
internal static class Lines
{
    public static string Write(Action<LineProtocolWriter> build, bool unsignedSuffix = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new LineProtocolWriter(buffer, unsignedSuffix);
        build(writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>One point: <paramref name="build"/> adds tags/fields between BeginPoint and EndPoint.</summary>
    public static string Point(string measurement, Action<LineProtocolWriter> build, bool unsignedSuffix = false) =>
        Write(w =>
        {
            w.BeginPoint(measurement);
            build(w);
            w.EndPoint();
        }, unsignedSuffix);

    public static byte[] Utf8(params string[] lines) => Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
}
