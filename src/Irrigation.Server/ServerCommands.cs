using Irrigation.Server.Accounts;
using Irrigation.Server.Audit;
using Irrigation.Server.Reports;

namespace Irrigation.Server;

/// <summary>Command-line administration next to the web server.</summary>
internal static class ServerCommands
{
    /// <summary>Whether <paramref name="args"/> name a command rather than options for the web server.</summary>
    public static bool IsCommand(string[] args) => args is ["create-user", ..] or ["verify-audit", ..] or ["acceptance-pack", ..] or ["retire-mqtt-sessions", ..];

    public static int Run(string[] args, IServiceProvider services) => args[0] switch
    {
        "create-user" => CreateUser(args[1..], services),
        "acceptance-pack" => WriteAcceptancePack(args[1..], services),
        "retire-mqtt-sessions" => RetireMqttSessions(args[1..], services),
        _ => VerifyAudit(services),
    };

    /// <summary><c>verify-audit</c>: checks the audit trail's hash chain; exit 0 when intact, 1 naming the first bad entry.</summary>
    public static int VerifyAudit(IServiceProvider services)
    {
        var result = services.GetRequiredService<AuditLog>().Verify();
        if (result.Intact)
        {
            Console.WriteLine($"audit trail intact: {result.Chained} entries chained{(result.BeforeChain > 0 ? $", {result.BeforeChain} older entries from before the chain" : "")}");
            return 0;
        }

        var bad = result.FirstBad!;
        Console.Error.WriteLine($"irrigation-server: audit entry {bad.Id} ({DateTimeOffset.FromUnixTimeMilliseconds(bad.Ts):yyyy-MM-dd HH:mm:ss}Z, {bad.Action} by {bad.Actor ?? "-"}) {result.Reason}; {result.Chained} entries before it are intact.");
        return 1;
    }

    /// <summary>
    /// <c>acceptance-pack &lt;from&gt; &lt;to&gt; &lt;file.zip&gt;</c>: writes the acceptance pack for Beijing dates from..to (both
    /// included), as <c>GET /api/reports/acceptance-pack</c> gives it; InfluxDB must be reachable.
    /// </summary>
    public static int WriteAcceptancePack(string[] args, IServiceProvider services)
    {
        if (args.Length != 3)
        {
            Console.Error.WriteLine("usage: irrigation-server acceptance-pack <from yyyy-MM-dd> <to yyyy-MM-dd> <file.zip>");
            return 2;
        }

        var today = Irrigation.Contracts.BeijingTime.DateOf(services.GetRequiredService<TimeProvider>().GetUtcNow());
        if (!ReportsApi.TryRange(args[0], args[1], today, out var range, out var problem))
        {
            Console.Error.WriteLine($"irrigation-server: {problem}");
            return 2;
        }

        try
        {
            var zip = services.GetRequiredService<AcceptancePack>().CreateAsync(range, CancellationToken.None).GetAwaiter().GetResult();
            File.WriteAllBytes(args[2], zip);
            services.GetRequiredService<AuditLog>().Write("cli", "report.acceptance_pack", "succeeded", detail: $"{args[0]}..{args[1]}, {zip.Length} bytes");
            Console.WriteLine($"acceptance pack {args[0]}..{args[1]}: {args[2]} ({zip.Length} bytes)");
            return 0;
        }
        catch (Exception ex) when (ex is Irrigation.Influx.Query.InfluxQueryException or HttpRequestException or IOException or ReportFontException or TaskCanceledException)
        {
            Console.Error.WriteLine($"irrigation-server: acceptance pack not written: {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// <c>retire-mqtt-sessions &lt;instance-id&gt;</c>: ends at the broker (with this configuration's broker addresses and
    /// account) the persistent sessions of an instance that has been stopped for good, so the broker stops queueing for it.
    /// Exit 0 when every session was ended, 1 otherwise. Never for a running instance: it would take over its connections.
    /// </summary>
    public static int RetireMqttSessions(string[] args, IServiceProvider services)
    {
        if (args.Length != 1 || string.IsNullOrWhiteSpace(args[0]))
        {
            Console.Error.WriteLine("usage: irrigation-server retire-mqtt-sessions <instance-id>   (its Irrigation:Mqtt:ClientId; stop that instance first)");
            return 2;
        }

        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Messaging.ServerMqttOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("mqtt.retire");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var results = Messaging.RetiredInstanceSessions.EndAsync(options, args[0], logger, timeout.Token).GetAwaiter().GetResult();
        foreach (var (clientId, error) in results)
        {
            if (error is null)
                Console.WriteLine($"session {clientId}: ended");
            else
                Console.Error.WriteLine($"irrigation-server: session {clientId} not ended: {error}");
        }

        var ended = results.Count(r => r.Error is null);
        services.GetRequiredService<AuditLog>().Write("cli", "mqtt.retire_sessions", ended == results.Count ? "succeeded" : "failed", detail: $"{args[0]}: {ended} of {results.Count} sessions ended");
        return ended == results.Count ? 0 : 1;
    }

    /// <summary><c>create-user &lt;name&gt; &lt;role&gt; [display name]</c>, the password from IRRIGATION_PASSWORD (never from the command line, which other users can see).</summary>
    public static int CreateUser(string[] args, IServiceProvider services)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: IRRIGATION_PASSWORD=… irrigation-server create-user <username> <admin|operator|maintenance|viewer> [display name]");
            return 2;
        }

        var password = Environment.GetEnvironmentVariable("IRRIGATION_PASSWORD");
        if (string.IsNullOrEmpty(password))
        {
            Console.Error.WriteLine("irrigation-server: set IRRIGATION_PASSWORD to the new user's password.");
            return 2;
        }

        var users = services.GetRequiredService<UserStore>();
        try
        {
            var user = users.Create(args[0], args.Length > 2 ? args[2] : null, args[1], password);
            services.GetRequiredService<AuditLog>().Write("cli", "user.create", "succeeded", detail: $"{user.Username} as {user.Role}");
            Console.WriteLine($"created {user.Username} ({user.Role})");
            return 0;
        }
        catch (UserChangeException ex)
        {
            Console.Error.WriteLine($"irrigation-server: {ex.Message}");
            return 1;
        }
    }
}
