using Irrigation.Contracts;

namespace Irrigation.Gateway.Commands;

/// <summary>A start/stop command as received on {root}/{station}/cmd (<see cref="CommandMessage"/>), with where and when it arrived.</summary>
public sealed record PumpCommand(string Id, string Station, PumpAction Action, int Pump, string RequestedBy, DateTimeOffset ExpiresAt, DateTimeOffset ReceivedAt)
{
    /// <summary>Set for a plan's start or stop (origin <c>schedule</c>); null for an operator's command.</summary>
    public ScheduleInfo? Schedule { get; init; }
}

/// <summary>Parses command JSON through the contract without trusting it: every problem becomes a reason, never an exception.</summary>
public static class PumpCommandParser
{
    public const int MaxPayloadBytes = CommandPayload.MaxBytes;

    /// <summary>
    /// Returns the command, or null with an error (and the id if one could be read, so the rejection can be
    /// answered on the result topic).
    /// </summary>
    public static PumpCommand? Parse(string station, ReadOnlySpan<byte> payload, DateTimeOffset now, out string? id, out string? error) =>
        Parse(station, payload, now, null, out id, out error, out _);

    /// <summary>
    /// As the overload without keys; with <paramref name="keys"/> (the gateway's command keys) a command must also be
    /// signed for this station by one of them, else null is returned with the parsed command in <paramref name="forged"/>
    /// and the reason in <paramref name="error"/>.
    /// </summary>
    public static PumpCommand? Parse(string station, ReadOnlySpan<byte> payload, DateTimeOffset now, IReadOnlyDictionary<string, byte[]>? keys, out string? id, out string? error, out PumpCommand? forged)
    {
        forged = null;
        if (CommandPayload.Parse(payload, out id, out error) is not { } command)
            return null;
        var parsed = new PumpCommand(command.Id, station, command.Action, command.Pump, command.RequestedBy, command.ExpiresAt, now);
        if (keys is { Count: > 0 } && CommandSignature.Problem(command, station, keys) is { } problem)
        {
            error = problem;
            forged = parsed;
            return null;
        }

        return parsed;
    }
}
