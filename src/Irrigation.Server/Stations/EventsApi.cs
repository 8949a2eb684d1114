using System.Text;
using Irrigation.Server.Stations;

using Irrigation.Server.Events;
using Irrigation.Server.Leadership;

namespace Irrigation.Server.Stations;

/// <summary><c>GET /api/events</c>: Server-Sent Events with station summaries, changed values and command states.</summary>
public static class EventsApi
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static void MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", StreamAsync).WithTags("Events").RequireAuthorization().ExcludeFromDescription();
    }

    private static async Task StreamAsync(HttpContext context, EventHub hub, StationViews stations, InstanceLeadership instance, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers["X-Accel-Buffering"] = "no"; // nginx in front: do not buffer the stream
        var reader = hub.Subscribe(out var subscription);
        using (subscription)
        {
            // Which server instance serves the stream: behind a front door a reconnect may land on another (docs/scale-out.md).
            await WriteAsync(response, new LiveEvent("hello", System.Text.Json.JsonSerializer.Serialize(new { retryMs = 3000, instance = instance.InstanceId })), cancellationToken);
            await response.WriteAsync("retry: 3000\n\n", cancellationToken);
            foreach (var summary in stations.List())
                await WriteAsync(response, EventHub.Create("station", summary), cancellationToken);
            await response.Body.FlushAsync(cancellationToken);

            using var heartbeat = new PeriodicTimer(Heartbeat);
            var tick = heartbeat.WaitForNextTickAsync(cancellationToken).AsTask();
            var next = reader.WaitToReadAsync(cancellationToken).AsTask();
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    if (await Task.WhenAny(next, tick) == tick)
                    {
                        if (!await tick)
                            break;
                        await response.WriteAsync(": ping\n\n", cancellationToken);
                        await response.Body.FlushAsync(cancellationToken);
                        tick = heartbeat.WaitForNextTickAsync(cancellationToken).AsTask();
                        continue;
                    }

                    if (!await next)
                        break;
                    while (reader.TryRead(out var live))
                        await WriteAsync(response, live, cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                    next = reader.WaitToReadAsync(cancellationToken).AsTask();
                }
            }
            catch (OperationCanceledException)
            {
                // the phone went away
            }
        }
    }

    private static Task WriteAsync(HttpResponse response, LiveEvent live, CancellationToken cancellationToken)
    {
        var text = new StringBuilder(live.Json.Length + 32).Append("event: ").Append(live.Name).Append("\ndata: ").Append(live.Json).Append("\n\n").ToString();
        return response.WriteAsync(text, cancellationToken);
    }
}
