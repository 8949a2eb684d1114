using System.Text.Json;
using Irrigation.Contracts;
using Irrigation.Server.Accounts;
using Irrigation.Server.Audit;
using Irrigation.Server.Http;
using Irrigation.Server.State;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Irrigation.Server.Plans;

/// <summary>
/// Irrigation plans (docs/api.md "Plans"): everyone signed in reads; operators and admins create, change, pause, resume
/// and delete, each change audited with who and what. The body of a create or change is the plan as in
/// docs/schemas/plan-set.schema.json without <c>id</c> and <c>revision</c>.
/// </summary>
public static class PlansApi
{
    public static void MapPlansApi(this IEndpointRouteBuilder app)
    {
        var plans = app.MapGroup("/api/plans").WithTags("Plans").RequireAuthorization();
        plans.MapGet("/", (PlanStore store, PlanViews views) => TypedResults.Ok(store.All().Select(views.View)));
        plans.MapGet("/sync", (PlanStore store) => TypedResults.Ok(store.Sets()));
        plans.MapGet("/runs", (PlanViews views, string? station, int? days) => TypedResults.Ok(views.Runs(null, station, Math.Clamp(days ?? 7, 1, 92))));
        plans.MapGet("/{id}", Results<Ok<PlanView>, ProblemHttpResult> (string id, PlanStore store, PlanViews views) =>
            store.Get(id) is { } plan ? TypedResults.Ok(views.View(plan)) : Problems.NotFound("plan_not_found", $"No plan {id}."));
        plans.MapGet("/{id}/runs", (string id, PlanViews views, int? days) => TypedResults.Ok(views.Runs(id, null, Math.Clamp(days ?? 30, 1, 366))));
        plans.MapGet("/{id}/revisions", (string id, PlanStore store) => TypedResults.Ok(store.Revisions(id).Select(r => new
        {
            r.Seq, r.Revision, r.Change, r.ChangedBy, r.ChangedAt, plan = r.Plan is null ? null : PlanStore.Json(r.Plan),
        })));
        plans.MapPost("/", (JsonElement body, HttpContext context, PlanEditor editor, PlanViews views, PlanStore store, AuditLog audit) =>
            Save(PlanEditor.NewId(), body, created: true, context, editor, views, store, audit));
        plans.MapPut("/{id}", (string id, JsonElement body, HttpContext context, PlanEditor editor, PlanViews views, PlanStore store, AuditLog audit) =>
            Save(id, body, created: false, context, editor, views, store, audit));
        plans.MapPost("/{id}/pause", (string id, HttpContext context, PlanEditor editor, PlanViews views, PlanStore store, AuditLog audit) => SetPaused(id, true, context, editor, views, store, audit));
        plans.MapPost("/{id}/resume", (string id, HttpContext context, PlanEditor editor, PlanViews views, PlanStore store, AuditLog audit) => SetPaused(id, false, context, editor, views, store, audit));
        plans.MapDelete("/{id}", Results<NoContent, ProblemHttpResult> (string id, HttpContext context, PlanEditor editor, AuditLog audit) =>
        {
            if (!MayEdit(context))
                return Refuse(context, audit, "plan.delete", id, Problems.Forbidden("Only operators and admins change plans."));
            if (!editor.Delete(id, context.User.Identity!.Name!))
                return Refuse(context, audit, "plan.delete", id, Problems.NotFound("plan_not_found", $"No plan {id}."));
            audit.Write(context, "plan.delete", "succeeded", null, null, id);
            return TypedResults.NoContent();
        });

        app.MapGet("/api/stations/{id}/schedule", Results<Ok<StationScheduleView>, ProblemHttpResult> (string id, StationRegistry registry, PlanViews views) =>
            registry.Find(id) is null ? Problems.NotFound("station_not_found", $"No station {id}.") : TypedResults.Ok(views.Station(id)))
            .WithTags("Plans").RequireAuthorization();
    }

    private static bool MayEdit(HttpContext context) => context.User.IsInRole(Roles.Admin) || context.User.IsInRole(Roles.Operator);

    private static ProblemHttpResult Refuse(HttpContext context, AuditLog audit, string action, string id, ProblemHttpResult problem)
    {
        audit.Write(context, action, problem.ProblemDetails.Extensions.TryGetValue("code", out var code) ? code?.ToString() ?? "refused" : "refused", null, null, $"{id}: {problem.ProblemDetails.Detail}");
        return problem;
    }

    private static Results<Ok<PlanView>, Created<PlanView>, ProblemHttpResult> Save(string id, JsonElement body, bool created, HttpContext context, PlanEditor editor, PlanViews views, PlanStore store, AuditLog audit)
    {
        var action = created ? "plan.create" : "plan.update";
        if (!MayEdit(context))
            return Refuse(context, audit, action, id, Problems.Forbidden("Only operators and admins change plans."));
        if (!created && store.Get(id) is null)
            return Refuse(context, audit, action, id, Problems.NotFound("plan_not_found", $"No plan {id}."));
        IrrigationPlan? plan;
        string? problem;
        try
        {
            plan = PlanSetPayload.ReadPlan(body, out problem, id);
        }
        catch (InvalidOperationException ex)
        {
            // JsonElement checks a string's UTF-8 (a lone surrogate) only when it is read.
            (plan, problem) = (null, $"invalid text in JSON: {ex.Message}");
        }

        if (plan is null)
            return Refuse(context, audit, action, id, Problems.BadRequest("invalid_plan", problem!));
        return Saved(editor.Save(plan, created, created ? "created" : "changed", context.User.Identity!.Name!), id, created, action, context, views, store, audit);
    }

    private static Results<Ok<PlanView>, Created<PlanView>, ProblemHttpResult> SetPaused(string id, bool paused, HttpContext context, PlanEditor editor, PlanViews views, PlanStore store, AuditLog audit)
    {
        var action = paused ? "plan.pause" : "plan.resume";
        if (!MayEdit(context))
            return Refuse(context, audit, action, id, Problems.Forbidden("Only operators and admins change plans."));
        if (store.Get(id) is not { } stored)
            return Refuse(context, audit, action, id, Problems.NotFound("plan_not_found", $"No plan {id}."));
        return Saved(editor.Save(stored.Plan with { Paused = paused }, false, paused ? "paused" : "resumed", context.User.Identity!.Name!), id, false, action, context, views, store, audit);
    }

    private static Results<Ok<PlanView>, Created<PlanView>, ProblemHttpResult> Saved((IrrigationPlan? Plan, PlanRefusal? Refusal) saved, string id, bool created, string action, HttpContext context, PlanViews views, PlanStore store, AuditLog audit)
    {
        if (saved.Refusal is { } refusal)
        {
            var problem = Problems.Create(refusal.Status, refusal.Code, refusal.Status == StatusCodes.Status409Conflict ? "Conflict" : "Bad request", refusal.Detail, refusal.Extra);
            audit.Write(context, action, refusal.Code, null, null, $"{id}: {refusal.Detail}");
            return problem;
        }

        var plan = saved.Plan!;
        audit.Write(context, action, "succeeded", plan.Steps.Count == 1 ? plan.Steps[0].Station : null, plan.Steps.Count == 1 ? plan.Steps[0].Pump : null,
            $"{plan.Id} rev {plan.Revision} '{plan.Name}': {Describe(plan)}");
        var view = views.View(store.Get(plan.Id)!);
        return created ? TypedResults.Created($"/api/plans/{plan.Id}", view) : TypedResults.Ok(view);
    }

    /// <summary>What the plan does, for the audit trail.</summary>
    private static string Describe(IrrigationPlan plan) =>
        $"{(plan.Mode == PlanMode.Rotation ? "rotation" : "together")} {plan.SeasonFrom:yyyy-MM-dd}..{plan.SeasonTo:yyyy-MM-dd} days {string.Join(",", plan.Days)} at {plan.Start:HH\\:mm\\:ss}, gap {plan.StartGapSeconds} s, "
        + string.Join("; ", plan.Steps.Select(s => $"{s.Station} pump {s.Pump} {s.DurationSeconds} s"))
        + (plan.SkipDates.Count > 0 ? $", skip {string.Join(",", plan.SkipDates.Select(d => d.ToString("MM-dd", System.Globalization.CultureInfo.InvariantCulture)))}" : "")
        + (plan.Paused ? ", paused" : "") + (plan.OverrideOperatorStop ? ", overrides operator stops" : "");
}
