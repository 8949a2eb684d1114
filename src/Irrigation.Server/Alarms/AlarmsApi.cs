using Microsoft.AspNetCore.Http.HttpResults;
using Irrigation.Server.Accounts;
using Irrigation.Server.Http;

namespace Irrigation.Server.Alarms;

public sealed record AcknowledgeRequest(string? Comment);

/// <summary>Alarms: open ones first by severity, history by station and time, acknowledgement with a comment.</summary>
public static class AlarmsApi
{
    public static void MapAlarmsApi(this IEndpointRouteBuilder app)
    {
        var alarms = app.MapGroup("/api/alarms").WithTags("Alarms").RequireAuthorization();
        alarms.MapGet("/", Results<Ok<IEnumerable<AlarmView>>, ProblemHttpResult> (AlarmStore store, string? station, string? state, long? from, long? to, int? limit) =>
        {
            if (state is not (null or "open" or "active" or "acknowledged" or "cleared"))
                return Problems.BadRequest("invalid_state", "state is open, active, acknowledged or cleared.");
            var list = store.Query(station, state, from, to, limit ?? 200);
            // Open alarms first, the most severe first; then history, newest first.
            return TypedResults.Ok<IEnumerable<AlarmView>>(list.OrderBy(a => a.ClearedAt is null ? 0 : 1).ThenBy(a => a.ClearedAt is null ? (int)a.Severity : 0).ThenByDescending(a => a.RaisedAt));
        });
        alarms.MapGet("/{id}", Results<Ok<AlarmView>, ProblemHttpResult> (string id, AlarmStore store) => store.Get(id) is { } a ? TypedResults.Ok(a) : Problems.NotFound("alarm_not_found", $"No alarm {id}."));
        alarms.MapGet("/{id}/deliveries", (string id, AlarmStore store) => TypedResults.Ok(store.Deliveries(id))).RequireAuthorization(Roles.CanMaintain);
        alarms.MapPost("/{id}/ack", Results<Ok<AlarmView>, ProblemHttpResult> (string id, AcknowledgeRequest? request, HttpContext context, AlarmEngine engine, AlarmStore store) =>
        {
            var comment = request?.Comment?.Trim();
            if (string.IsNullOrEmpty(comment) || comment.Length > 500)
                return Problems.BadRequest("comment_required", "Acknowledge with a comment (1-500 characters): what was found or done.");
            if (engine.Acknowledge(id, context.User.Identity!.Name!, comment, context) is { } alarm)
                return TypedResults.Ok(alarm);
            return store.Get(id) is null
                ? Problems.NotFound("alarm_not_found", $"No alarm {id}.")
                : Problems.Conflict("already_acknowledged", "This alarm has already been acknowledged.");
        }).RequireAuthorization(Roles.CanMaintain);
    }
}
