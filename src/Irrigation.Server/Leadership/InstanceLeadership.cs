using Irrigation.Server.Configuration;
using Irrigation.Server.Data;
using Irrigation.Server.Http;
using Irrigation.Server.Messaging;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Leadership;

/// <summary>
/// Which server instance does the work that must happen once — alarm evaluation, the command sweep, gap repair, plan
/// delivery, station availability, accounting, monthly reports, the SL 651 uplink: the holder of the lease
/// <see cref="LeaseName"/> in the server database. The lease is taken at start (before the features start) and renewed
/// every third of its duration; when the holder dies, another instance takes it within <see cref="LeadershipOptions.LeaseDuration"/>
/// and starts that work from what the database holds. With one instance (SQLite) that instance always leads; its id is
/// stable across restarts (the MQTT client id), so a restart keeps the lease.
/// </summary>
public sealed class InstanceLeadership : BackgroundService
{
    public const string LeaseName = "once-only-work";

    private readonly LeaseStore _leases;
    private readonly LeadershipOptions _options;
    private readonly ILogger<InstanceLeadership> _logger;
    private volatile bool _leader;
    private long _generation;

    public InstanceLeadership(LeaseStore leases, IOptions<LeadershipOptions> options, IOptions<ServerMqttOptions> mqtt, ILogger<InstanceLeadership> logger)
    {
        _leases = leases;
        _options = options.Value;
        _logger = logger;
        InstanceId = ServerMqttClientFactory.ClientId(mqtt.Value);
    }

    public string InstanceId { get; }

    /// <summary>True while this instance holds the lease (as of its last renewal).</summary>
    public bool IsLeader => _leader;

    /// <summary>The lease's generation while this instance holds it: it changes on every hand-over.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Renew(); // before the features start: a lone instance leads from its first tick
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.LeaseDuration / 3);
        while (await Ticks.NextAsync(timer, stoppingToken))
            Renew();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_leader)
        {
            _leader = false;
            try
            {
                _leases.Release(LeaseName, InstanceId); // a clean stop hands over at once
            }
            catch (System.Data.Common.DbException ex)
            {
                _logger.LogWarning("Leadership: lease not released ({Reason}); it lapses after {Duration}.", ex.Message, _options.LeaseDuration);
            }
        }
    }

    private void Renew()
    {
        try
        {
            var grant = _leases.TryAcquireOrRenew(LeaseName, InstanceId, _options.LeaseDuration);
            if (grant.Held && (!_leader || grant.Generation != Generation))
                _logger.LogWarning("Leadership: this instance ({Instance}) now does the once-only work (lease generation {Generation}).", InstanceId, grant.Generation);
            else if (!grant.Held && _leader)
                _logger.LogWarning("Leadership: lost to {Holder}; this instance stops the once-only work.", grant.Owner);
            Interlocked.Exchange(ref _generation, grant.Generation);
            _leader = grant.Held;
        }
        catch (System.Data.Common.DbException ex)
        {
            // Not renewed: stop leading before the lease can lapse, so two instances never lead at once.
            if (_leader)
                _logger.LogError("Leadership: lease not renewed ({Reason}); this instance stops the once-only work.", ex.Message);
            _leader = false;
        }
    }
}

public static class LeadershipRegistration
{
    public static IServiceCollection AddLeadership(this IServiceCollection services)
    {
        services.AddFeatureOptions<LeadershipOptions>();
        services.AddSingleton<InstanceLeadership>();
        services.AddHostedService(sp => sp.GetRequiredService<InstanceLeadership>());
        return services;
    }
}
