using Irrigation.Server.Accounts;
using Irrigation.Server.Alarms;
using Irrigation.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Irrigation.Server.Notifications;

/// <summary>An alarm's escalation: its planned steps (state, due time) and every attempt, phone numbers masked.</summary>
public sealed record AlarmNotificationsView(string AlarmId, IReadOnlyList<NotificationStepView> Steps, IReadOnlyList<NotificationAttemptView> Attempts);

public static class NotificationsApi
{
    public static void MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        var alarms = app.MapGroup("/api/alarms").WithTags("Alarms").RequireAuthorization(Roles.CanMaintain);
        alarms.MapGet("/{id}/notifications", Results<Ok<AlarmNotificationsView>, ProblemHttpResult> (string id, AlarmStore store, NotificationQueue queue) =>
            store.Get(id) is null
                ? Problems.NotFound("alarm_not_found", $"No alarm {id}.")
                : TypedResults.Ok(new AlarmNotificationsView(id, queue.Steps(id), queue.Attempts(id))));
    }
}
