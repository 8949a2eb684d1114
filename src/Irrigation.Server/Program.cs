using Irrigation.Influx.Query;
using Irrigation.Influx.Write;
using Irrigation.Mqtt.Client;
using Irrigation.Server;
using Irrigation.Server.Accounting;
using Irrigation.Server.Accounts;
using Irrigation.Server.Alarms;
using Irrigation.Server.Audit;
using Irrigation.Server.Commands;
using Irrigation.Server.Configuration;
using Irrigation.Server.Data;
using Irrigation.Server.Diagnostics;
using Irrigation.Server.Events;
using Irrigation.Server.Ingestion;
using Irrigation.Server.State;
using Irrigation.Server.Stations;
using Irrigation.Spool;

// The web app's files sit next to the program (copied from wwwroot/ at build); IRRIGATION_WEBROOT points elsewhere.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
{
    Args = args,
    WebRootPath = Environment.GetEnvironmentVariable("IRRIGATION_WEBROOT") ?? Path.Combine(AppContext.BaseDirectory, "wwwroot"),
});
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
var database = new ServerDatabase(Path.Combine(dataDirectory, "irrigation.db"));
database.Migrate();

// `irrigation-server create-user <name> <role>`: the first admin on a real installation (password from IRRIGATION_PASSWORD).
if (args.Length > 0 && args[0] == "create-user")
    return ServerCommands.CreateUser(args[1..], database, options);

var services = builder.Services;
services.AddSingleton(options);
services.AddSingleton(database);
services.AddSingleton(TimeProvider.System);
services.AddSingleton<UserStore>();
services.AddSingleton<AuditLog>();
services.AddSingleton<CommandStore>();
services.AddSingleton<EventHub>();
services.AddSingleton(sp => DeviceProfileLibrary.Load(Path.GetFullPath(options.ProfilesDirectory), sp.GetRequiredService<ILoggerFactory>().CreateLogger("profiles")));
services.AddSingleton<QuantityCatalog>();
services.AddSingleton<StationViews>();
services.AddSingleton<HistoryQuery>();
services.AddIrrigationAuthentication(options, dataDirectory);
services.AddProblemDetails();
services.AddOpenApi();
services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never);

// ---- State ------------------------------------------------------------------------------------------------------
services.AddSingleton(_ => StationRegistry.FromGatewayConfigs(options.StationFiles));
services.AddSingleton<StationSettingsStore>();
services.AddSingleton<LatestValueCache>();
services.AddSingleton<IngestionCounters>();

// ---- MQTT: persistent session, manual acks (PUBACK only once durable) -------------------------------------------
services.AddSingleton<IMqttClient>(sp => new ReconnectingMqttClient(
    new MqttClientOptions
    {
        Protocol = options.Mqtt.Protocol == "3.1.1" ? MqttProtocol.V311 : MqttProtocol.V500,
        Host = options.Mqtt.Host,
        Port = options.Mqtt.Port,
        ClientId = options.Mqtt.ClientId ?? $"irrigation-server-{Environment.MachineName}",
        Username = options.Mqtt.Username,
        Password = options.Mqtt.Password,
        CleanSession = false,
        ManualAck = true,
        InboundCapacity = options.Mqtt.InboundCapacity,
        ReceiveMaximum = options.Mqtt.ReceiveMaximum,
        // Any packet the protocol allows: a telemetry message over a client limit would be discarded by the broker (MQTT 5)
        // or break the connection again and again (3.1.1). Read whole, the decoder drops it (TooLarge, over 64 KiB) and
        // it is acknowledged and counted. Bound its size at the broker (max_packet_size).
        MaxPacketSize = MqttClientOptions.ProtocolMaxPacketSize,
    },
    sp.GetRequiredService<ILoggerFactory>().CreateLogger<ReconnectingMqttClient>()));

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
    new DurableQueueOptions { Directory = Path.Combine(dataDirectory, "spool"), MaxBytes = options.Ingest.SpoolMaxBytes, SegmentBytes = options.Ingest.SpoolSegmentBytes, DropOldestWhenFull = false },
    sp.GetRequiredService<ILoggerFactory>().CreateLogger("spool")));

// ---- Commands: their own MQTT session (not the ingestion's subscription with manual acks) ------------------
services.AddSingleton(sp => new CommandMqttClient(new ReconnectingMqttClient(
    new MqttClientOptions
    {
        Protocol = options.Mqtt.Protocol == "3.1.1" ? MqttProtocol.V311 : MqttProtocol.V500,
        Host = options.Mqtt.Host,
        Port = options.Mqtt.Port,
        ClientId = (options.Mqtt.ClientId ?? $"irrigation-server-{Environment.MachineName}") + "-commands",
        Username = options.Mqtt.Username,
        Password = options.Mqtt.Password,
        CleanSession = false, // results published while the server restarts are kept by the broker
    },
    sp.GetRequiredService<ILoggerFactory>().CreateLogger("mqtt.commands"))));

// Events for Grafana (command outcomes, later alarms and accounting): low rate, batched, best effort; commands also live in SQLite.
services.AddSingleton(sp => new InfluxBatchWriter(
    new InfluxWriteClient(new InfluxWriteOptions
    {
        Url = new Uri(options.Influx.Url),
        Database = options.Influx.Database,
        Username = options.Influx.Username,
        Password = options.Influx.Password,
        Token = options.Influx.Token,
        FlushInterval = TimeSpan.FromSeconds(1),
    }, sp.GetRequiredService<ILoggerFactory>().CreateLogger("influx.events")),
    sp.GetRequiredService<ILoggerFactory>().CreateLogger("influx.events")));

// ---- Hosted services -----------------------------------------------------------------------------------------------
services.AddSingleton<InfluxSchema>();
services.AddHostedService(sp => sp.GetRequiredService<InfluxSchema>());
services.AddSingleton<IngestionService>();
services.AddHostedService(sp => sp.GetRequiredService<IngestionService>());
services.AddHostedService<SpoolReplayer>();
services.AddHostedService<LatestValueSeeder>();
services.AddSingleton<CommandDispatcher>();
services.AddHostedService(sp => sp.GetRequiredService<CommandDispatcher>());
services.AddHostedService<StationEventPump>();
services.AddHostedService<StationAvailabilityWriter>();
services.AddSingleton<AlarmStore>();
services.AddSingleton<AlarmNotifier>();
services.AddHostedService(sp => sp.GetRequiredService<AlarmNotifier>());
services.AddSingleton<AlarmRuleBook>();
services.AddSingleton<AlarmEngine>();
services.AddSingleton<IActiveAlarmCounter>(sp => sp.GetRequiredService<AlarmEngine>());
services.AddHostedService(sp => sp.GetRequiredService<AlarmEngine>());
services.AddEnergyAccounting();

var app = builder.Build();

UserBootstrap.Run(app.Services.GetRequiredService<UserStore>(), app.Services.GetRequiredService<AuditLog>(), options.Auth, app.Logger);
// Administrators' station names and coefficients apply before the first message is ingested.
app.Services.GetRequiredService<StationSettingsStore>().ApplyTo(app.Services.GetRequiredService<StationRegistry>());

// ---- Pipeline: problem details for every error, authentication, CSRF, rate limits, the web app's files ---------------
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles(new StaticFileOptions
{
    // Hashed assets never change; index.html, the manifest and the service worker must always be revalidated.
    OnPrepareResponse = context => context.Context.Response.Headers.CacheControl =
        context.Context.Request.Path.StartsWithSegments("/assets") ? "public, max-age=31536000, immutable" : "no-cache",
});
app.UseAuthentication();
app.UseCsrfProtection();
app.UseRateLimiter();
app.UseAuthorization();

// ---- Endpoints -------------------------------------------------------------------------------------------------------
app.MapOperationsApi();
app.MapOpenApi();
app.MapAccountsApi();
app.MapStationsApi();
app.MapCommandsApi();
app.MapEventsApi();
app.MapAlarmsApi();
app.MapEnergyApi();
// Unknown /api/ paths are API errors, not the web app; every other path is a client-side route of the web app.
app.Map("/api/{**rest}", () => Irrigation.Server.Http.Problems.NotFound("not_found", "No such API endpoint."));
app.MapFallbackToFile("index.html", new StaticFileOptions { OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache" });

// RunAsync stops the hosted services, then disposes the container and with it the MQTT client and the spool (which
// flushes its cursor): asking the disposed container for them afterwards threw, so every SIGTERM ended in SIGABRT.
await app.RunAsync();
return 0;
