using Irrigation.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.State;

/// <summary>The stations (from gateway configuration, named by administrators) and their latest values, seeded from InfluxDB at start.</summary>
public static class StateRegistration
{
    public static IServiceCollection AddStationState(this IServiceCollection services)
    {
        services.AddFeatureOptions<ApiOptions>();
        services.AddSingleton(sp => StationRegistry.FromGatewayConfigs(sp.GetRequiredService<IOptions<SiteOptions>>().Value.StationFiles));
        services.AddSingleton<StationSettingsStore>();
        services.AddSingleton<LatestValueCache>();
        services.AddSingleton<StationLiveness>();
        services.AddHostedService<LatestValueSeeder>();
        services.AddHostedService<StationSettingsRefresh>();
        return services;
    }

    /// <summary>Administrators' station names apply before the first message is ingested.</summary>
    public static void ApplyStationSettings(this IServiceProvider services) =>
        services.GetRequiredService<StationSettingsStore>().ApplyTo(services.GetRequiredService<StationRegistry>());
}
