using System.Buffers.Binary;
using Irrigation.Sl651.Framing;
using Irrigation.Sl651.Values;

namespace Irrigation.Sl651.Messages;

/// <summary>
/// Bodies to messages and back (§6.6, HEX/BCD rules §6.6.3). An up report body:
/// <code>
/// 00-01  serial        2 B HEX
/// 02-07  send time     YYMMDDHHmmSS BCD
/// 08-09  F1 F1         station address identifier
/// 10-14  station       5 B
/// 15     category      appendix A (reports only; not in 4CH/46H replies)
/// 16-17  F0 F0         observation time identifier
/// 18-22  obs. time     YYMMDDHHmm BCD
/// 23..   elements      leader, definition (bytes &lt;&lt; 3 | decimals), data …
/// </code>
/// Readers return false with a reason instead of throwing, and never read past the body.
/// </summary>
public static class Sl651MessageFormatter
{
    private const int SerialAndTime = 8;

    public static Sl651Frame ToFrame(Sl651Message message, Sl651Header header, byte? end = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var up = message is Sl651KeepAlive or Sl651ObservationReport or Sl651PumpStateReport;
        var endChar = end ?? message switch
        {
            Sl651Acknowledgement => Sl651ControlChar.Eot,
            Sl651Query or Sl651PumpSwitchCommand => Sl651ControlChar.Enq,
            _ => Sl651ControlChar.Etx,
        };
        return new Sl651Frame(up ? Sl651Direction.Up : Sl651Direction.Down, header.CentreAddress, header.Station, header.Password, (byte)message.Function, WriteBody(message), endChar);
    }

    public static byte[] WriteBody(Sl651Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = new List<byte>(64);
        Span<byte> scratch = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(scratch, message.Serial);
        Sl651Bcd.WriteSendTime(message.SendTime, scratch[2..]);
        body.AddRange(scratch[..SerialAndTime]);
        switch (message)
        {
            case Sl651ObservationReport report:
                AddStation(body, report.Station);
                body.Add(report.StationCategory);
                body.Add(Sl651ElementIdentifier.ObservationTimeLeader);
                body.Add(Sl651ElementIdentifier.ObservationTimeLeader);
                Sl651Bcd.WriteObservationTime(report.ObservationTime, scratch);
                body.AddRange(scratch[..5]);
                foreach (var element in report.Elements)
                {
                    body.Add(element.Identifier.Leader);
                    body.Add(element.Identifier.Definition);
                    body.AddRange(element.Data.Span);
                }

                break;
            case Sl651PumpStateReport state:
                AddStation(body, state.Station);
                AddPumps(body, state.Pumps);
                break;
            case Sl651PumpSwitchCommand command:
                AddPumps(body, command.Pumps);
                break;
        }

        return [.. body];
    }

    private static void AddStation(List<byte> body, Sl651StationAddress station)
    {
        Span<byte> address = stackalloc byte[Sl651StationAddress.Length];
        station.WriteTo(address);
        body.Add(Sl651ElementIdentifier.StationAddressLeader);
        body.Add(Sl651ElementIdentifier.StationAddressLeader);
        body.AddRange(address);
    }

    private static void AddPumps(List<byte> body, Sl651PumpStates pumps)
    {
        body.Add((byte)pumps.Bits.Length);
        body.AddRange(pumps.Bits.Span);
    }

    /// <summary>Reads an up frame's body as the message its function code names.</summary>
    public static bool TryReadUp(Sl651Frame frame, out Sl651Message? message, out string error)
    {
        ArgumentNullException.ThrowIfNull(frame);
        message = null;
        var body = frame.Body.Span;
        if (frame.Direction != Sl651Direction.Up)
            return Fail("a down frame", out error);
        if (!TryReadSerialAndTime(body, out var serial, out var sent, out error))
            return false;
        switch (frame.FunctionCode)
        {
            case Sl651FunctionCode.KeepAlive:
                message = new Sl651KeepAlive(serial, sent);
                return true;
            case Sl651FunctionCode.PumpSwitch:
                if (!TryReadStation(body, SerialAndTime, out var station, out error))
                    return false;
                if (!TryReadPumps(body[(SerialAndTime + 7)..], out var pumps, out error))
                    return false;
                message = new Sl651PumpStateReport(serial, sent, station, pumps);
                return true;
            case Sl651FunctionCode.Test or Sl651FunctionCode.Timed or Sl651FunctionCode.Additional or Sl651FunctionCode.Hourly
                or Sl651FunctionCode.QueryRealTime or Sl651FunctionCode.PumpRealTime or (Sl651FunctionCode)0x3A:
                if (!TryReadReport(frame.FunctionCode, serial, sent, body, out var report, out error))
                    return false;
                message = report;
                return true;
            default:
                return Fail($"function {frame.Function:X2}H is not read by this library", out error);
        }
    }

    /// <summary>Reads a down frame: an acknowledgement (EOT/ESC/ACK/NAK), a query or a pump switch command (ENQ).</summary>
    public static bool TryReadDown(Sl651Frame frame, out Sl651Message? message, out string error)
    {
        ArgumentNullException.ThrowIfNull(frame);
        message = null;
        var body = frame.Body.Span;
        if (frame.Direction != Sl651Direction.Down)
            return Fail("an up frame", out error);
        if (!TryReadSerialAndTime(body, out var serial, out var sent, out error))
            return false;
        if (frame.End != Sl651ControlChar.Enq)
        {
            message = new Sl651Acknowledgement(frame.FunctionCode, serial, sent);
            return true;
        }

        if (frame.FunctionCode == Sl651FunctionCode.PumpSwitch)
        {
            if (!TryReadPumps(body[SerialAndTime..], out var pumps, out error))
                return false;
            message = new Sl651PumpSwitchCommand(serial, sent, pumps);
            return true;
        }

        message = new Sl651Query(frame.FunctionCode, serial, sent);
        return true;
    }

    private static bool TryReadSerialAndTime(ReadOnlySpan<byte> body, out ushort serial, out DateTime sent, out string error)
    {
        serial = 0;
        sent = default;
        if (body.Length < SerialAndTime)
            return Fail($"body of {body.Length} bytes has no serial and send time", out error);
        serial = BinaryPrimitives.ReadUInt16BigEndian(body);
        if (!Sl651Bcd.TryReadTime(body[2..8], out sent))
            return Fail($"send time {Convert.ToHexString(body[2..8])} is not YYMMDDHHmmSS", out error);
        error = "";
        return true;
    }

    private static bool TryReadStation(ReadOnlySpan<byte> body, int at, out Sl651StationAddress station, out string error)
    {
        station = default;
        if (body.Length < at + 7)
            return Fail("body ends before the station address", out error);
        if (body[at] != Sl651ElementIdentifier.StationAddressLeader || body[at + 1] != Sl651ElementIdentifier.StationAddressLeader)
            return Fail($"{body[at]:X2}{body[at + 1]:X2} where F1F1 belongs", out error);
        station = Sl651StationAddress.FromWire(body[(at + 2)..]);
        error = "";
        return true;
    }

    private static bool TryReadPumps(ReadOnlySpan<byte> rest, out Sl651PumpStates pumps, out string error)
    {
        pumps = new Sl651PumpStates(Array.Empty<byte>());
        if (rest.IsEmpty)
            return Fail("no pump state byte count", out error);
        var count = rest[0];
        if (count == 0 || rest.Length != 1 + count)
            return Fail($"pump state says {count} bytes, {rest.Length - 1} follow", out error);
        pumps = new Sl651PumpStates(rest[1..].ToArray());
        error = "";
        return true;
    }

    private static bool TryReadReport(Sl651FunctionCode kind, ushort serial, DateTime sent, ReadOnlySpan<byte> body, out Sl651ObservationReport? report, out string error)
    {
        report = null;
        if (!TryReadStation(body, SerialAndTime, out var station, out error))
            return false;
        var at = SerialAndTime + 7;
        if (body.Length < at + 1)
            return Fail("body ends before the station category", out error);
        var category = body[at++];
        DateTime? observed = null;
        var elements = new List<Sl651Element>();
        while (at < body.Length)
        {
            if (body.Length - at < 2)
                return Fail($"{body.Length - at} stray byte(s) after the last element", out error);
            var leader = body[at];
            var definition = body[at + 1];
            at += 2;
            if (leader == Sl651ElementIdentifier.ObservationTimeLeader && definition == Sl651ElementIdentifier.ObservationTimeLeader)
            {
                if (body.Length - at < 5 || !Sl651Bcd.TryReadTime(body.Slice(at, 5), out var time))
                    return Fail("observation time is not YYMMDDHHmm", out error);
                observed ??= time;
                at += 5;
                continue;
            }

            if (leader == 0xFF)
                return Fail("user-extended identifiers (FFxxH) are not read", out error);
            var length = definition >> 3;
            if (body.Length - at < length)
                return Fail($"element {leader:X2}{definition:X2} needs {length} bytes, {body.Length - at} left", out error);
            elements.Add(new Sl651Element(new Sl651ElementIdentifier(leader, definition), body.Slice(at, length).ToArray()));
            at += length;
        }

        if (observed is null)
            return Fail("no observation time (F0F0)", out error);
        report = new Sl651ObservationReport(kind, serial, sent, station, category, observed.Value, elements);
        error = "";
        return true;
    }

    private static bool Fail(string reason, out string error)
    {
        error = reason;
        return false;
    }
}
