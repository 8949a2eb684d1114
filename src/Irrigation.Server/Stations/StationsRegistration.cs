using Irrigation.Server.Storage;

namespace Irrigation.Server.Stations;

/// <summary>What operators see of stations: summaries and details, history, settings, live events and the online-rate samples.</summary>
public static class StationsRegistration
{
    public static IServiceCollection AddStations(this IServiceCollection services)
    {
        services.AddSingleton<StationViews>();
        services.AddSingleton<HistoryQuery>();
        services.AddHostedService<StationEventPump>();
        services.AddHostedService<StationAvailabilityWriter>();
        return services;
    }

    public static IEndpointRouteBuilder MapStations(this IEndpointRouteBuilder app)
    {
        app.MapStationsApi();
        app.MapEventsApi();
        return app;
    }
}
