using Irrigation.Server.Audit;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Commands;

/// <summary>
/// Who asks for a pump command, as the audit trail records it: a signed-in user with the client's address, or a system
/// actor (<c>sl651:platform</c>) without one. <paramref name="Note"/> says where the request came from in its own terms
/// ("SL 651 4CH serial 4660"); it follows the action in every audit entry of the request.
/// </summary>
public sealed record CommandRequester(string Actor, string? Address = null, string? Note = null);

/// <summary>
/// What became of a request: the store's outcome, the command (new, the earlier one for the same key, or the pump's open
/// one), and the delivery to the broker of a new command — <see cref="Task.CompletedTask"/> for anything else.
/// </summary>
public sealed record PumpCommandRequest(CreateCommandOutcome Outcome, CommandView? Command, Task Delivery);

/// <summary>
/// The one way a pump command is asked for, by an operator through the API or by the provincial platform over SL 651:
/// the command is created with the configured lifetime (idempotent per requester and key, one open command per pump),
/// the request is audited as accepted or refused (<c>command.request</c>), and a new command is handed to the
/// <see cref="CommandDispatcher"/>. Checks that depend on who asks (roles, the station being live, the pump existing)
/// are the caller's, and so is a retry with the same key: it acts on nothing, and only the API audits it as a duplicate.
/// </summary>
public sealed class PumpCommandRequests
{
    private readonly CommandStore _store;
    private readonly CommandDispatcher _dispatcher;
    private readonly AuditLog _audit;
    private readonly CommandOptions _options;
    private readonly TimeProvider _time;

    public PumpCommandRequests(CommandStore store, CommandDispatcher dispatcher, AuditLog audit, IOptions<CommandOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _dispatcher = dispatcher;
        _audit = audit;
        _options = options.Value;
        _time = time;
    }

    /// <summary>
    /// Creates and sends the command, or says why not. The delivery runs on <paramref name="cancellationToken"/> and ends
    /// at the command's expiry at the latest; the caller decides how long to wait for it.
    /// </summary>
    public PumpCommandRequest Request(CommandRequester requester, string idempotencyKey, string station, int pump, string action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requester);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var (outcome, command) = _store.Create(idempotencyKey, requester.Actor, station, pump, action, now, now + (long)_options.Lifetime.TotalMilliseconds);
        var subject = requester.Note is null ? action : $"{action} ({requester.Note})";
        switch (outcome)
        {
            case CreateCommandOutcome.Created:
                Audit(requester, "accepted", station, pump, $"{command!.Id} {subject}");
                return new PumpCommandRequest(outcome, command, _dispatcher.SendAsync(command, cancellationToken));
            case CreateCommandOutcome.PumpBusy:
                // The open command that holds the pump, so whoever reads the trail can follow it.
                Audit(requester, "command_pending", station, pump, command is null ? subject : $"{subject}: {command.Id}");
                break;
            case CreateCommandOutcome.KeyReused:
                Audit(requester, "idempotency_key_reused", station, pump, subject);
                break;
        }

        return new PumpCommandRequest(outcome, command, Task.CompletedTask);
    }

    private void Audit(CommandRequester requester, string outcome, string station, int pump, string detail) =>
        _audit.Write(requester.Actor, "command.request", outcome, station, pump, detail, requester.Address);
}
