using Irrigation.Server.Configuration;
using Irrigation.Server.Messaging;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Commands;

/// <summary>Pump commands: the store, the dispatcher and its own MQTT session (not the ingestion's, with manual acks).</summary>
public static class CommandsRegistration
{
    public static IServiceCollection AddCommands(this IServiceCollection services)
    {
        services.AddFeatureOptions<CommandOptions>();
        services.AddFeatureOptions<ServerMqttOptions>();
        services.AddSingleton<CommandStore>();
        services.AddSingleton<GatewayKeyring>();
        // Results published while the server restarts are kept by the broker for this persistent session.
        services.AddSingleton(sp => new MqttSession<CommandDispatcher>(ServerMqttClientFactory.Create(
            sp.GetRequiredService<IOptions<ServerMqttOptions>>().Value, ServerMqttClientFactory.CommandsSession, sp.GetRequiredService<ILoggerFactory>().CreateLogger("mqtt.commands"))));
        services.AddSingleton<CommandDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<CommandDispatcher>());
        services.AddSingleton<PumpCommandRequests>();
        return services;
    }
}
