using Irrigation.Contracts;
using Irrigation.Server.Http;
using Irrigation.Server.State;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Irrigation.Server.Completeness;

/// <summary>One station's telemetry completeness as the station page shows it.</summary>
public sealed record CompletenessView(
    string Station, string? Epoch, string? Gateway, long Contiguous, long Highest, long OpenMessages, IReadOnlyList<SequenceRange> OpenGaps,
    long? GapSince, int Requests, long Repaired, long Lost, IReadOnlyList<LossView> Losses);

public sealed record LossView(long From, long To, long Messages, string Reason, string? Gateway, long RecordedAt);

/// <summary>Telemetry completeness per station: open gaps waiting for repair, messages repaired, ranges recorded as lost.</summary>
public static class CompletenessApi
{
    private const int RecentLosses = 20;

    public static void MapCompletenessApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api").WithTags("Completeness").RequireAuthorization();
        group.MapGet("/completeness", (SequenceTracker tracker) =>
            TypedResults.Ok(tracker.All().Select(s => View(s, []))));
        group.MapGet("/stations/{id}/completeness", Results<Ok<CompletenessView>, ProblemHttpResult> (string id, StationRegistry registry, SequenceTracker tracker, SequenceStore store) =>
        {
            if (registry.Find(id) is null)
                return Problems.NotFound("station_not_found", $"No station {id}.");
            var losses = store.Losses(id, RecentLosses);
            return TypedResults.Ok(tracker.Find(id) is { } s
                ? View(s, losses)
                : new CompletenessView(id, null, null, 0, 0, 0, [], null, 0, 0, losses.Sum(l => l.Messages), losses.Select(Loss).ToList()));
        });
    }

    private static CompletenessView View(StationCompleteness s, IReadOnlyList<DataLoss> losses)
    {
        var gaps = new List<SequenceRange>();
        var next = s.Contiguous + 1;
        foreach (var range in s.Received)
        {
            gaps.Add(new SequenceRange(next, range.From - 1));
            next = range.To + 1;
            if (gaps.Count == 50)
                break;
        }

        return new CompletenessView(s.Station, s.Epoch, s.Gateway, s.Contiguous, s.Highest, s.OpenMessages, gaps, s.GapSinceMs > 0 ? s.GapSinceMs : null,
            s.Requests, s.Repaired, s.Lost, losses.Select(Loss).ToList());
    }

    private static LossView Loss(DataLoss l) => new(l.Range.From, l.Range.To, l.Messages, l.Reason, l.Gateway, l.RecordedAtMs);
}
