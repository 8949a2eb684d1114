using Irrigation.Server.Configuration;

namespace Irrigation.Server.Plans;

public sealed class PlanOptions : IFeatureOptions
{
    public static string Section => "Irrigation:Plans";

    /// <summary>How often the server publishes its clock on <c>{root}/time</c> (gateways check theirs against it before running plans).</summary>
    public TimeSpan TimeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a plan set is sent again to a gateway that has not confirmed it (a broker that lost its retained messages, a gateway long offline).</summary>
    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The hold the gateways apply after an operator's stop (their <c>schedule.operatorStopHold</c>), shown in the app.</summary>
    public TimeSpan OperatorStopHold { get; set; } = TimeSpan.FromMinutes(30);

    public void Validate()
    {
        if (TimeInterval < TimeSpan.FromSeconds(1) || TimeInterval > TimeSpan.FromMinutes(10))
            throw new ArgumentException("Irrigation:Plans:TimeInterval must be 1 s..10 min.");
        if (ResendInterval < TimeSpan.FromSeconds(5) || ResendInterval > TimeSpan.FromHours(24))
            throw new ArgumentException("Irrigation:Plans:ResendInterval must be 5 s..24 h.");
        if (OperatorStopHold < TimeSpan.Zero || OperatorStopHold > TimeSpan.FromDays(1))
            throw new ArgumentException("Irrigation:Plans:OperatorStopHold must be 0..24 h.");
    }
}
