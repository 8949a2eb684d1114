using Irrigation.Influx.Query;
using Irrigation.Influx.Write;
using Irrigation.Mqtt.Client;
using Irrigation.Mqtt.Formatter;
using Irrigation.Server.Configuration;
using Irrigation.Server.Diagnostics;
using Irrigation.Server.Ingestion;
using Irrigation.Server.State;
using Irrigation.Spool;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

// ---- Options: bound from appsettings.json / Irrigation__* environment variables, validated before starting ----
var options = builder.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>(o => o.ErrorOnUnknownConfiguration = true) ?? new ServerOptions();
try
{
    options.Validate();
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"irrigation-server: invalid configuration: {ex.Message}");
    return 2;
}

var dataDirectory = Path.GetFullPath(options.DataDirectory);
Directory.CreateDirectory(dataDirectory);
var services = builder.Services;
services.AddSingleton(options);

// ---- State ------------------------------------------------------------------------------------------------------
services.AddSingleton(_ => StationRegistry.FromGatewayConfigs(options.StationFiles));
services.AddSingleton<LatestValueCache>();
services.AddSingleton<IngestionCounters>();

// ---- MQTT: persistent session, manual acks (PUBACK only once durable) -------------------------------------------
services.AddSingleton<IMqttClient>(sp => new MqttClient(
    new MqttClientOptions
    {
        Host = options.Mqtt.Host,
        Port = options.Mqtt.Port,
        ClientId = options.Mqtt.ClientId ?? $"irrigation-server-{Environment.MachineName}",
        Username = options.Mqtt.Username,
        Password = options.Mqtt.Password,
        CleanSession = false,
        ManualAck = true,
        InboundCapacity = options.Mqtt.InboundCapacity,
        // Any packet the protocol allows: a telemetry message over the client's limit was a protocol violation, so the
        // client reconnected, the broker redelivered it, and ingestion stalled behind it for good. Read whole, the
        // decoder drops it (TooLarge, over 64 KiB) and it is acknowledged. Bound its size at the broker (max_packet_size).
        MaxPacketSize = MqttPacketFormatter.MaxRemainingLength,
    },
    sp.GetRequiredService<ILoggerFactory>().CreateLogger<MqttClient>()));

// ---- InfluxDB and the spool ----------------------------------------------------------------------------------
services.AddSingleton(sp => new InfluxWriteClient(
    new InfluxWriteOptions
    {
        Url = new Uri(options.Influx.Url),
        Database = options.Influx.Database,
        Username = options.Influx.Username,
        Password = options.Influx.Password,
        Token = options.Influx.Token,
        Gzip = options.Influx.Gzip,
        BatchSize = options.Ingest.BatchPoints,
        Timeout = options.Ingest.WriteAttemptTimeout,
    },
    sp.GetRequiredService<ILoggerFactory>().CreateLogger<InfluxWriteClient>()));
services.AddSingleton(_ => new InfluxQueryClient(new InfluxQueryOptions
{
    Url = new Uri(options.Influx.Url),
    Database = options.Influx.Database,
    Username = options.Influx.Username,
    Password = options.Influx.Password,
    Token = options.Influx.Token,
}));
services.AddSingleton(sp => DurableQueue.Open(
    new DurableQueueOptions { Directory = Path.Combine(dataDirectory, "spool"), MaxBytes = options.Ingest.SpoolMaxBytes, SegmentBytes = 16 * 1024 * 1024, DropOldestWhenFull = false },
    sp.GetRequiredService<ILoggerFactory>().CreateLogger("spool")));

// ---- Hosted services -----------------------------------------------------------------------------------------------
services.AddSingleton<InfluxSchema>();
services.AddHostedService(sp => sp.GetRequiredService<InfluxSchema>());
services.AddSingleton<IngestionService>();
services.AddHostedService(sp => sp.GetRequiredService<IngestionService>());
services.AddHostedService<SpoolReplayer>();

var app = builder.Build();

// ---- Endpoints -------------------------------------------------------------------------------------------------------
app.MapOperationsApi();
app.MapGet("/api/stations/latest", (LatestValueCache cache) => TypedResults.Ok(cache.Snapshot().Select(s => new
{
    s.Id,
    s.Name,
    s.Site,
    s.Status,
    s.Gateway,
    s.LastTelemetryMs,
    Values = s.Values.ToDictionary(kv => kv.Key, kv => new { value = kv.Value.Value, ts = kv.Value.TimestampMs }),
})));

// RunAsync stops the hosted services, then disposes the container and with it the MQTT client and the spool (which
// flushes its cursor): asking the disposed container for them afterwards threw, so every SIGTERM ended in SIGABRT.
await app.RunAsync();
return 0;
