using Irrigation.Server.State;
using Microsoft.Extensions.Options;

namespace Irrigation.Server.Accounting;

/// <summary>以电折水 coefficients (m³ per kWh): an administrator's (station settings), else the configuration's, else the default.</summary>
public sealed class WaterCoefficients
{
    private readonly StationSettingsStore _settings;
    private readonly AccountingOptions _options;

    public WaterCoefficients(StationSettingsStore settings, IOptions<AccountingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _settings = settings;
        _options = options.Value;
    }

    public double CoefficientOf(string station) => _settings.WaterPerKwhOf(station) ?? _options.CoefficientOf(station);

    /// <summary>True when someone set the station's coefficient (in settings or the configuration), not the placeholder default.</summary>
    public bool IsCalibrated(string station) => _settings.WaterPerKwhOf(station) is not null || _options.WaterPerKwh.ContainsKey(station);
}
