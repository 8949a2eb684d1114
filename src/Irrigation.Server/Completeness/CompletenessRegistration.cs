using Irrigation.Server.Configuration;
using Irrigation.Server.Ingestion;
using Irrigation.Server.Messaging;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Completeness;

/// <summary>
/// Telemetry completeness: which sequence numbers of each station are stored, gaps asked of the gateways again, what
/// cannot be had recorded as loss (docs/mqtt.md "Gap repair"); the tracker listens to ingestion's durable batches.
/// </summary>
public static class CompletenessRegistration
{
    public static IServiceCollection AddCompleteness(this IServiceCollection services)
    {
        services.AddFeatureOptions<CompletenessOptions>();
        services.AddFeatureOptions<ServerMqttOptions>();
        services.AddSingleton<SequenceStore>();
        services.AddSingleton(sp =>
        {
            var tracker = new SequenceTracker(sp.GetRequiredService<IOptions<CompletenessOptions>>().Value, sp.GetRequiredService<TimeProvider>());
            tracker.Restore(sp.GetRequiredService<SequenceStore>().Load()); // before ingestion stores anything
            return tracker;
        });
        // Off, or off because ingestion shares the stream (no instance sees a whole sequence): nothing is tracked at all.
        services.AddSingleton<IStoredSequenceListener>(sp =>
            sp.GetRequiredService<IOptions<CompletenessOptions>>().Value.Enabled && sp.GetRequiredService<IOptions<ServerMqttOptions>>().Value.SharedGroup.Length == 0
                ? sp.GetRequiredService<SequenceTracker>()
                : new NoStoredSequenceListener());
        services.AddSingleton(sp => new MqttSession<GapRepairService>(ServerMqttClientFactory.Create(
            sp.GetRequiredService<IOptions<ServerMqttOptions>>().Value, ServerMqttClientFactory.RepairSession, sp.GetRequiredService<ILoggerFactory>().CreateLogger("mqtt.repair"))));
        services.AddHostedService<GapRepairService>();
        return services;
    }

    public static IEndpointRouteBuilder MapCompleteness(this IEndpointRouteBuilder app)
    {
        app.MapCompletenessApi();
        return app;
    }
}
