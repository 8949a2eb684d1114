using Irrigation.Contracts;
using Irrigation.Server.Configuration;

namespace Irrigation.Server.Tariffs;

/// <summary>Electricity tariff periods and prices (峰/平/谷), read by plans for costs and by the app.</summary>
public static class TariffsRegistration
{
    public static IServiceCollection AddTariffs(this IServiceCollection services)
    {
        services.AddFeatureOptions<TariffOptions>();
        services.AddSingleton<TariffBook>();
        return services;
    }

    public static void MapTariffsApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/tariffs", (TariffBook book, TimeProvider time, string? date) =>
        {
            var day = PlanSetPayload.TryDate(date, out var d) ? d : BeijingTime.DateOf(time.GetUtcNow().ToUnixTimeMilliseconds());
            return TypedResults.Ok(new
            {
                name = book.Name,
                date = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                prices = TariffKinds.All.ToDictionary(k => k, book.Price),
                bands = book.Bands(day),
            });
        }).WithTags("Tariffs").RequireAuthorization();
}
