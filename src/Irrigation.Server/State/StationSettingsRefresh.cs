using System.Data.Common;
using Irrigation.Server.Http;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.State;

/// <summary>
/// Keeps this instance's station settings current with the database every <see cref="ApiOptions.SettingsRefreshInterval"/>:
/// with several instances on one database a name or coefficient saved through one shows at the others within that time.
/// Runs on every instance, leader or not — each serves its own API.
/// </summary>
public sealed class StationSettingsRefresh : BackgroundService
{
    private readonly StationSettingsStore _store;
    private readonly TimeSpan _interval;
    private readonly ILogger<StationSettingsRefresh> _logger;

    public StationSettingsRefresh(StationSettingsStore store, IOptions<ApiOptions> options, ILogger<StationSettingsRefresh> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _interval = options.Value.SettingsRefreshInterval;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval);
        var failing = false;
        while (await Ticks.NextAsync(timer, stoppingToken))
        {
            try
            {
                if (_store.Refresh())
                    _logger.LogInformation("Station settings read again: they changed in the database.");
                if (failing)
                    _logger.LogInformation("Station settings are checked again.");
                failing = false;
            }
            catch (DbException ex)
            {
                // The database is away: keep serving the settings as last read, and say so once per outage.
                if (!failing)
                    _logger.LogWarning("Station settings could not be checked for changes ({Reason}); the last read stays in use.", ex.Message);
                failing = true;
            }
        }
    }
}
