using Irrigation.Server.Commands;
using Irrigation.Server.Configuration;
using Irrigation.Server.Plans;
using Irrigation.Server.Stations;

namespace Irrigation.Server.Alarms;

/// <summary>Alarm rules, their evaluation over the latest values, the alarm store and the webhook formats (their queue is in Notifications).</summary>
public static class AlarmsRegistration
{
    public static IServiceCollection AddAlarms(this IServiceCollection services)
    {
        services.AddFeatureOptions<AlarmOptions>();
        services.AddSingleton<AlarmStore>();
        services.AddSingleton<ForgedCommands>();
        services.AddSingleton<IForgedCommandListener>(sp => sp.GetRequiredService<ForgedCommands>());
        services.AddSingleton<MissedRuns>();
        services.AddSingleton<IPlanRunListener>(sp => sp.GetRequiredService<MissedRuns>());
        services.AddSingleton<AlarmNotifier>();
        services.AddSingleton<AlarmRuleBook>();
        services.AddSingleton<AlarmEngine>();
        services.AddSingleton<IActiveAlarmCounter>(sp => sp.GetRequiredService<AlarmEngine>());
        services.AddHostedService(sp => sp.GetRequiredService<AlarmEngine>());
        return services;
    }
}
