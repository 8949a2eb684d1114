using Irrigation.Server.Commands;
using Irrigation.Server.Configuration;
using Irrigation.Server.Messaging;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Plans;

/// <summary>Irrigation plans: the store, the editor, delivery to the gateways (own MQTT session), the runs' results, the views.</summary>
public static class PlansRegistration
{
    public static IServiceCollection AddPlans(this IServiceCollection services)
    {
        services.AddFeatureOptions<PlanOptions>();
        services.AddSingleton<PlanStore>();
        services.AddSingleton<PlanViews>();
        services.AddSingleton(sp => new MqttSession<PlanDelivery>(ServerMqttClientFactory.Create(
            sp.GetRequiredService<IOptions<ServerMqttOptions>>().Value, ServerMqttClientFactory.PlansSession, sp.GetRequiredService<ILoggerFactory>().CreateLogger("mqtt.plans"))));
        services.AddSingleton<PlanDelivery>();
        services.AddHostedService(sp => sp.GetRequiredService<PlanDelivery>());
        services.AddSingleton<PlanEditor>();
        services.AddSingleton<PlanRunLog>();
        services.AddSingleton<IScheduledResultListener>(sp => sp.GetRequiredService<PlanRunLog>());
        return services;
    }
}
