using Irrigation.Server.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Irrigation.Server.Audit;
using Irrigation.Server.Http;
using Irrigation.Server.State;
using Irrigation.Contracts;

namespace Irrigation.Server.Commands;

public sealed record StartStopRequest(string? Action);

/// <summary>Start/stop a pump (idempotent, checked, audited) and read commands.</summary>
public static class CommandsApi
{
    /// <summary>How long the POST waits for the broker's acknowledgement before answering 202 with "pending".</summary>
    private static readonly TimeSpan SendWait = TimeSpan.FromSeconds(2);

    public static void MapCommandsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/stations/{id}/pumps/{pump:int}/commands", CreateAsync).WithTags("Commands").RequireAuthorization();
        var commands = app.MapGroup("/api/commands").WithTags("Commands").RequireAuthorization();
        commands.MapGet("/{id}", Results<Ok<CommandView>, ProblemHttpResult> (string id, CommandStore store) =>
            store.Get(id) is { } c ? TypedResults.Ok(c) : Problems.NotFound("command_not_found", $"No command {id}."));
        commands.MapGet("/", (CommandStore store, string? station, int? limit) => TypedResults.Ok(store.Recent(station, limit ?? 50)));
    }

    private static async Task<Results<Accepted<CommandView>, ProblemHttpResult>> CreateAsync(
        string id, int pump, StartStopRequest? request, HttpContext context, StationRegistry registry, LatestValueCache cache, StationLiveness liveness,
        CommandStore store, PumpCommandRequests requests, AuditLog audit)
    {
        var action = request?.Action;
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        var user = context.User.Identity!.Name!;

        ProblemHttpResult Refuse(string outcome, ProblemHttpResult problem, string? detail = null)
        {
            audit.Write(context, "command.request", outcome, id, pump, $"{action ?? "?"}{(detail is null ? "" : ": " + detail)}");
            return problem;
        }

        // Every request is audited, a retry too: it acts on nothing and answers with the first request's command.
        Accepted<CommandView> Retried(CommandView first)
        {
            audit.Write(context, "command.request", "duplicate", id, pump, $"{first.Id} {action}: retry with the same Idempotency-Key");
            return Accepted(first);
        }

        if (!context.User.IsInRole(Roles.Admin) && !context.User.IsInRole(Roles.Operator))
            return Refuse("forbidden", Problems.Forbidden("Only operators and admins start or stop pumps."));
        if (action is not ("start" or "stop"))
            return Refuse("invalid_request", Problems.BadRequest("invalid_action", "action must be \"start\" or \"stop\"."));
        if (string.IsNullOrWhiteSpace(key) || key.Length > 100)
            return Refuse("invalid_request", Problems.BadRequest("idempotency_key_required", "Send an Idempotency-Key header (1-100 characters), the same for retries of one request."));
        if (registry.Find(id) is not { } station)
            return Refuse("station_not_found", Problems.NotFound("station_not_found", $"No station {id}."));

        // A retry with the same key gets the first answer, whatever the station does now.
        if (store.FindByKey(user, key) is { } first)
        {
            return first.Station == id && first.Pump == pump && first.Action == action
                ? Retried(first)
                : Refuse("idempotency_key_reused", KeyReused());
        }

        var snapshot = cache.Snapshot(station);
        if (!liveness.IsOnline(snapshot)) // the gateway reports it online and its telemetry is fresh
        {
            var why = $"Station {id} is {(snapshot.Status == StationStatus.Online ? "not reporting (stale data)" : snapshot.Status.Text())}.";
            return Refuse("station_offline", Problems.Conflict("station_offline", why), why);
        }

        if (pump is < 1 or > 16 || !HasPump(snapshot, pump))
            return Refuse("pump_not_found", Problems.NotFound("pump_not_found", $"Station {id} has no pump {pump}."));

        // The delivery outlives the request (it ends at the command's expiry); the answer waits for it only briefly.
        var requested = requests.Request(new CommandRequester(user, AuditLog.Address(context)), key, id, pump, action, CancellationToken.None);
        switch (requested.Outcome)
        {
            case CreateCommandOutcome.Existing:
                return Retried(requested.Command!);
            case CreateCommandOutcome.KeyReused:
                return KeyReused();
            case CreateCommandOutcome.PumpBusy:
                return Problems.Conflict("command_pending", $"Pump {pump} of {id} already has a command in progress.");
        }

        await Task.WhenAny(requested.Delivery, Task.Delay(SendWait));
        return Accepted(store.Get(requested.Command!.Id) ?? requested.Command);
    }

    /// <summary>A station that reports no pump values yet may have any pump; one that reports pumps has only those.</summary>
    internal static bool HasPump(StationSnapshot snapshot, int pump)
    {
        var any = false;
        foreach (var key in snapshot.Values.Keys)
        {
            if (!PumpKeys.TryParse(key, out var number, out _))
                continue;
            if (number == pump)
                return true;
            any = true;
        }

        return !any;
    }

    private static ProblemHttpResult KeyReused() => Problems.Create(StatusCodes.Status422UnprocessableEntity, "idempotency_key_reused", "Idempotency key reused",
        "This Idempotency-Key was already used for another request.");

    private static Accepted<CommandView> Accepted(CommandView command) => TypedResults.Accepted($"/api/commands/{command.Id}", command);
}
