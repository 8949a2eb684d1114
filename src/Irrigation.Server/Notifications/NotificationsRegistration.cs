using Irrigation.Server.Alarms;
using Irrigation.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Notifications;

/// <summary>Duty rosters, SMS and voice escalation through Alibaba Cloud, and the durable queue that also carries the alarm webhooks.</summary>
public static class NotificationsRegistration
{
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddFeatureOptions<NotificationOptions>();
        services.AddSingleton<NotificationQueue>();
        services.AddSingleton(sp => new DutyRoster(sp.GetRequiredService<IOptions<NotificationOptions>>().Value.Rosters));
        services.AddSingleton<AliyunClient>();
        services.AddSingleton<TencentSmsClient>();
        services.AddSingleton<ISmsProvider>(sp => sp.GetRequiredService<IOptions<NotificationOptions>>().Value.SmsProvider == "tencent"
            ? sp.GetRequiredService<TencentSmsClient>()
            : sp.GetRequiredService<AliyunClient>());
        services.AddSingleton<IAlarmEventListener, WebhookQueueing>();
        services.AddSingleton<IAlarmEventListener, AlarmEscalation>();
        services.AddHostedService<NotificationDispatcher>();
        return services;
    }
}
