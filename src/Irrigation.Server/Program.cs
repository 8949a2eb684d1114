using Irrigation.Server;
using Irrigation.Server.Accounting;
using Irrigation.Server.Accounts;
using Irrigation.Server.Alarms;
using Irrigation.Server.Audit;
using Irrigation.Server.Commands;
using Irrigation.Server.Completeness;
using Irrigation.Server.Configuration;
using Irrigation.Server.Data;
using Irrigation.Server.Diagnostics;
using Irrigation.Server.Events;
using Irrigation.Server.Ingestion;
using Irrigation.Server.Leadership;
using Irrigation.Server.Notifications;
using Irrigation.Server.Plans;
using Irrigation.Server.Profiles;
using Irrigation.Server.Reports;
using Irrigation.Server.State;
using Irrigation.Server.Stations;
using Irrigation.Server.Storage;
using Irrigation.Server.Tariffs;
using Irrigation.Server.Uplink;

// The server's table of contents: each feature registers its services and options (Add…) and its endpoints (Map…) from its
// own folder. Settings (appsettings.json, Irrigation__* variables) are bound and validated before anything starts (docs/server.md).
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
{
    Args = args,
    // The web app's files sit next to the program (copied from wwwroot/ at build); IRRIGATION_WEBROOT points elsewhere.
    WebRootPath = Environment.GetEnvironmentVariable("IRRIGATION_WEBROOT") ?? Path.Combine(AppContext.BaseDirectory, "wwwroot"),
});
builder.AddServerLogging();
builder.Services
    .AddSiteOptions()
    .AddServerDatabase()
    .AddLeadership()
    .AddAuditTrail()
    .AddAccounts()
    .AddStorage()
    .AddProfiles()
    .AddStationState()
    .AddIngestion()
    .AddCompleteness()
    .AddLiveEvents()
    .AddCommands()
    .AddTariffs()
    .AddPlans()
    .AddAlarms()
    .AddNotifications()
    .AddEnergyAccounting()
    .AddReports()
    .AddStations()
    .AddUplink()
    .AddOperations()
    .AddServerHttp();

var app = builder.Build();
if (app.Services.ValidateConfiguration() is { } invalid)
{
    await Console.Error.WriteLineAsync($"irrigation-server: invalid configuration: {invalid}");
    return 2;
}

// Administration from a shell (docs/operations.md): `create-user <name> <role>` (password from IRRIGATION_PASSWORD), `verify-audit`.
if (ServerCommands.IsCommand(args))
    return ServerCommands.Run(args, app.Services);

app.Services.CreateBootstrapUsers();
app.Services.ApplyStationSettings();

app.UseServerHttp(); // problem details, the web app's files, authentication, CSRF, rate limits
app.MapOperationsApi();
app.MapAccountsApi();
app.MapStations();
app.MapCompleteness();
app.MapCommandsApi();
app.MapAlarmsApi();
app.MapNotificationsApi();
app.MapPlansApi();
app.MapTariffsApi();
app.MapEnergyApi();
app.MapReportsApi();
app.MapWebAppFallback();

// RunAsync stops the hosted services and disposes the container (MQTT clients, the spool); asking it for them afterwards threw (SIGABRT).
await app.RunAsync();
return 0;

/// <summary>The entry point, public for the in-process API tests (WebApplicationFactory).</summary>
public partial class Program;
