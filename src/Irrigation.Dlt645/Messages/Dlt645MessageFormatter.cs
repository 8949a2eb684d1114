using Irrigation.Dlt645.Framing;
using Irrigation.Dlt645.Values;

namespace Irrigation.Dlt645.Messages;

/// <summary>
/// Messages to frames and back, per function (DL/T 645-2007 §7.4): what the data field of each control code holds.
/// Readers never throw; they say why a frame does not make a message.
/// <code>
/// 11H  request  DI0 DI1 DI2 DI3 [N [mm hh DD MM YY]]     reply 91H/B1H  DI0..DI3 N1..Nm
/// 12H  request  DI0..DI3 SEQ                            reply 92H/B2H  DI0..DI3 N1..Nm SEQ
/// 13H  request  (none), address AA..AA                  reply 93H      A0..A5
/// any  abnormal reply (D6 = 1)                          C|C0H          ERR
/// </code>
/// </summary>
public static class Dlt645MessageFormatter
{
    public static Dlt645Frame ToFrame(Dlt645Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request)
        {
            case ReadDataRequest read:
                {
                    var data = new byte[Dlt645DataIdentifier.Length + read.Parameters.Length];
                    read.Identifier.WriteTo(data);
                    read.Parameters.Span.CopyTo(data.AsSpan(Dlt645DataIdentifier.Length));
                    return new Dlt645Frame(read.Address, Dlt645ControlCode.Request(Dlt645Function.ReadData), data);
                }

            case ReadFollowUpRequest followUp:
                {
                    var data = new byte[Dlt645DataIdentifier.Length + 1];
                    followUp.Identifier.WriteTo(data);
                    data[^1] = followUp.Sequence;
                    return new Dlt645Frame(followUp.Address, Dlt645ControlCode.Request(Dlt645Function.ReadFollowUp), data);
                }

            case ReadAddressRequest:
                return new Dlt645Frame(Dlt645Address.Wildcard, Dlt645ControlCode.Request(Dlt645Function.ReadAddress), ReadOnlyMemory<byte>.Empty);

            default:
                throw new ArgumentException($"No frame layout for {request.GetType().Name}.", nameof(request));
        }
    }

    public static Dlt645Frame ToFrame(Dlt645Reply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        switch (reply)
        {
            case ReadDataReply read:
                {
                    var data = new byte[Dlt645DataIdentifier.Length + read.Value.Length];
                    read.Identifier.WriteTo(data);
                    read.Value.Span.CopyTo(data.AsSpan(Dlt645DataIdentifier.Length));
                    return new Dlt645Frame(read.Address, Dlt645ControlCode.Reply(Dlt645Function.ReadData, followUp: read.HasFollowUp), data);
                }

            case ReadFollowUpReply followUp:
                {
                    var data = new byte[Dlt645DataIdentifier.Length + followUp.Value.Length + 1];
                    followUp.Identifier.WriteTo(data);
                    followUp.Value.Span.CopyTo(data.AsSpan(Dlt645DataIdentifier.Length));
                    data[^1] = followUp.Sequence;
                    return new Dlt645Frame(followUp.Address, Dlt645ControlCode.Reply(Dlt645Function.ReadFollowUp, followUp: followUp.HasFollowUp), data);
                }

            case ReadAddressReply address:
                {
                    var data = new byte[Dlt645Address.Length];
                    address.Address.WriteTo(data);
                    return new Dlt645Frame(address.Address, Dlt645ControlCode.Reply(Dlt645Function.ReadAddress), data);
                }

            case AbnormalReply abnormal:
                return new Dlt645Frame(abnormal.Address, Dlt645ControlCode.Reply(abnormal.Function, abnormal: true), new[] { (byte)abnormal.Error });

            default:
                throw new ArgumentException($"No frame layout for {reply.GetType().Name}.", nameof(reply));
        }
    }

    /// <summary>Reads a master's command. False, with a reason, for replies, unknown functions and wrong lengths.</summary>
    public static bool TryReadRequest(Dlt645Frame frame, out Dlt645Request? request, out string? error)
    {
        ArgumentNullException.ThrowIfNull(frame);
        request = null;
        error = null;
        var data = frame.Data.Span;
        if (frame.Control.IsReply)
        {
            error = $"control code {frame.Control} is a reply, not a command";
            return false;
        }

        switch (frame.Control.Function)
        {
            case Dlt645Function.ReadData when data.Length >= Dlt645DataIdentifier.Length:
                request = new ReadDataRequest(frame.Address, Dlt645DataIdentifier.Read(data))
                {
                    Parameters = frame.Data[Dlt645DataIdentifier.Length..],
                };
                return true;
            case Dlt645Function.ReadFollowUp when data.Length == Dlt645DataIdentifier.Length + 1:
                request = new ReadFollowUpRequest(frame.Address, Dlt645DataIdentifier.Read(data), data[^1]);
                return true;
            case Dlt645Function.ReadAddress when data.Length == 0:
                request = new ReadAddressRequest();
                return true;
            case Dlt645Function.ReadData or Dlt645Function.ReadFollowUp or Dlt645Function.ReadAddress:
                error = $"function {(byte)frame.Control.Function:X2}H with L={data.Length}";
                return false;
            default:
                error = $"function {(byte)frame.Control.Function:X2}H is not implemented";
                return false;
        }
    }

    /// <summary>Reads a meter's reply. False, with a reason, for commands, unknown functions and wrong lengths.</summary>
    public static bool TryReadReply(Dlt645Frame frame, out Dlt645Reply? reply, out string? error)
    {
        ArgumentNullException.ThrowIfNull(frame);
        reply = null;
        error = null;
        var data = frame.Data.Span;
        var control = frame.Control;
        if (!control.IsReply)
        {
            error = $"control code {control} is a command, not a reply";
            return false;
        }

        if (control.IsAbnormal)
        {
            if (data.Length != 1)
            {
                error = $"abnormal reply {control} with L={data.Length}, expected one error byte";
                return false;
            }

            reply = new AbnormalReply(frame.Address, control.Function, (Dlt645ErrorFlags)data[0]);
            return true;
        }

        switch (control.Function)
        {
            case Dlt645Function.ReadData when data.Length >= Dlt645DataIdentifier.Length:
                reply = new ReadDataReply(frame.Address, Dlt645DataIdentifier.Read(data), frame.Data[Dlt645DataIdentifier.Length..], control.HasFollowUp);
                return true;
            case Dlt645Function.ReadFollowUp when data.Length >= Dlt645DataIdentifier.Length + 1:
                reply = new ReadFollowUpReply(frame.Address, Dlt645DataIdentifier.Read(data), frame.Data[Dlt645DataIdentifier.Length..^1], data[^1], control.HasFollowUp);
                return true;
            case Dlt645Function.ReadAddress when data.Length == Dlt645Address.Length:
                reply = new ReadAddressReply(Dlt645Address.FromWire(data));
                return true;
            case Dlt645Function.ReadData or Dlt645Function.ReadFollowUp or Dlt645Function.ReadAddress:
                error = $"reply {control} with L={data.Length}";
                return false;
            default:
                error = $"reply {control}: function {(byte)control.Function:X2}H is not implemented";
                return false;
        }
    }
}
