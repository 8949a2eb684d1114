using Irrigation.Gateway;
using Irrigation.Gateway.Commands;
using Irrigation.Gateway.Configuration;
using Irrigation.Gateway.Dtu;
using Irrigation.Gateway.Polling;
using Irrigation.Gateway.Publishing;
using Irrigation.Gateway.Schedule;
using Irrigation.Mqtt.Client;
using Irrigation.Spool;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// irrigation-gateway --config gateway.json

// ---- Configuration: read and validated before anything starts ----------------------------------------
var configPath = args.SkipWhile(a => a != "--config").Skip(1).FirstOrDefault() ?? "gateway.json";
GatewayOptions options;
IReadOnlyList<StationDefinition> stations;
try
{
    (options, stations) = GatewayConfiguration.Load(configPath);
}
catch (GatewayConfigurationException ex)
{
    await Console.Error.WriteLineAsync($"irrigation-gateway: invalid configuration: {ex.Message}");
    return 2;
}

var dataDirectory = Path.GetFullPath(options.DataDirectory, Path.GetDirectoryName(Path.GetFullPath(configPath))!);
options.DataDirectory = dataDirectory;
Directory.CreateDirectory(dataDirectory);

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
var services = builder.Services;

// ---- Core services --------------------------------------------------------------------------------------
services.AddSingleton(options);
services.AddSingleton(stations);
services.AddSingleton(TimeProvider.System);
services.AddSingleton<GatewayCounters>();
services.AddSingleton(sp => new Outbox(DurableQueue.Open(
    new DurableQueueOptions { Directory = Path.Combine(dataDirectory, "outbox"), MaxBytes = options.Buffer.MaxBytes, SegmentBytes = options.Buffer.SegmentBytes },
    sp.GetRequiredService<ILoggerFactory>().CreateLogger("outbox"))));
services.AddSingleton(sp => PublishHistory.Open(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger("history"), sp.GetRequiredService<TimeProvider>()));
services.AddSingleton<RepairResponder>();
services.AddHostedService(sp => sp.GetRequiredService<RepairResponder>());
services.AddSingleton(sp => new CommandJournal(Path.Combine(dataDirectory, "commands.jsonl"), options.Commands.JournalSize, sp.GetRequiredService<ILoggerFactory>().CreateLogger<CommandJournal>()));

// ---- MQTT ----------------------------------------------------------------------------------------------------
var configDirectory = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
string? FromConfig(string? path) => path is null ? null : Path.GetFullPath(path, configDirectory);
services.AddSingleton<IMqttClient>(sp => new ReconnectingMqttClient(
    new MqttClientOptions
    {
        Host = options.Mqtt.Host,
        Port = options.Mqtt.Port,
        Brokers = options.Mqtt.Brokers,
        ClientId = options.Mqtt.ClientId ?? $"irrigation-gateway-{options.Id}",
        Username = options.Mqtt.Username,
        Password = options.Mqtt.Password,
        Protocol = options.Mqtt.Protocol == "3.1.1" ? MqttProtocol.V311 : MqttProtocol.V500,
        CleanSession = false,
        SessionExpiry = options.Mqtt.SessionExpiry,
        KeepAlive = options.Mqtt.KeepAlive,
        Will = StatusPublisher.Will(options),
        Tls = options.Mqtt.TlsCaFile is { } ca
            ? new MqttTlsOptions { CaCertificatePath = FromConfig(ca), ClientCertificatePath = FromConfig(options.Mqtt.TlsCertFile), ClientKeyPath = FromConfig(options.Mqtt.TlsKeyFile) }
            : null,
        MaxInflight = options.Mqtt.MaxInflight,
    },
    sp.GetRequiredService<ILoggerFactory>().CreateLogger<ReconnectingMqttClient>(),
    sp.GetRequiredService<TimeProvider>()));
services.AddSingleton<StatusPublisher>();
services.AddSingleton<TelemetryPublisher>();
services.AddSingleton<CommandExecutor>();

// ---- Plans, run at the edge (docs/plans.md) ------------------------------------------------------------------
services.AddSingleton(options.Schedule);
services.AddSingleton<ClockTrust>();
services.AddSingleton(sp => new ScheduleLedger(Path.Combine(dataDirectory, "schedule.json"), sp.GetRequiredService<ILoggerFactory>().CreateLogger<ScheduleLedger>()));
services.AddSingleton<ScheduledRuns>();
services.AddSingleton<PlanStore>();
services.AddSingleton<StationQueues>();
services.AddSingleton<PlanScheduler>();
services.AddHostedService<OutboxForwarder>();

// ---- Field links (Modbus, DL/T 645), DTUs, stations -------------------------------------------------------------------------
services.AddSingleton(_ =>
{
    var registry = new DtuRegistry();
    foreach (var id in stations.SelectMany(s => s.DtuIds()))
        registry.Known.Add(id);
    return registry;
});
services.AddSingleton<FieldLinks>();
if (options.DtuListener is { } dtuListener)
{
    services.AddSingleton(dtuListener);
    services.AddHostedService<DtuListener>();
}

services.AddSingleton<GatewayService>();
services.AddHostedService(sp => sp.GetRequiredService<GatewayService>());
services.AddHostedService(sp => sp.GetRequiredService<PlanScheduler>());

// RunAsync stops the hosted services, then disposes the container and with it the MQTT client, the outbox and the
// command journal: asking the disposed container for them afterwards threw, so every SIGTERM ended in SIGABRT (134).
using var host = builder.Build();
await host.RunAsync();
return 0;
