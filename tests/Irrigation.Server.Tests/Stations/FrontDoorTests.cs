using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Irrigation.Testing;
using Xunit.Abstractions;

namespace Irrigation.Server.Tests.Stations;

/// <summary>
/// The phone app's one address in front of two server instances on one PostgreSQL database: Debian's haproxy with the
/// product's config/cluster/haproxy.cfg (as ./run.sh cluster runs it). The instance serving the app's live-event stream
/// is killed with -9: the stream ends, and the app's reconnect — same address, same sign-in — is served by the other.
/// Real haproxy, mosquitto, influxd, PostgreSQL and irrigation-server processes.
/// </summary>
[Collection("SystemFlows")]
public sealed class FrontDoorTests(ITestOutputHelper output)
{
    private const string User = "door-viewer";
    private const string Password = "door-viewer-pass-1";

    [Fact]
    public async Task LiveEvents_InstanceServingThemKilled_TheReconnectIsServedByTheOtherWithTheSameSignIn()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var influxd = await InfluxdServer.StartAsync();
        var postgres = await PostgresServer.SharedAsync();
        using var scratch = new ScratchDirectory("front-door");
        var connectionString = await postgres.CreateDatabaseAsync("door");
        var ports = new[] { FreePort.Next(), FreePort.Next() };
        var instances = new Dictionary<string, ManagedProcess>(StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var id = $"irrigation-server-door-{i + 1}";
                instances[id] = await ServerProcess.StartAsync(ports[i], new Dictionary<string, string>
                {
                    ["Irrigation__Mqtt__Port"] = broker.Port.ToString(CultureInfo.InvariantCulture),
                    ["Irrigation__Mqtt__ClientId"] = id,
                    ["Irrigation__Influx__Url"] = influxd.Url.ToString(),
                    ["Irrigation__Influx__Database"] = "door_" + Guid.NewGuid().ToString("N")[..8],
                    ["Irrigation__DataDirectory"] = scratch.File($"server-{i + 1}"),
                    ["Irrigation__Database__Provider"] = "PostgreSql",
                    ["Irrigation__Database__ConnectionString"] = connectionString,
                    ["Irrigation__Auth__PasswordIterations"] = "10000",
                    ["Irrigation__Auth__Users__0__Username"] = User,
                    ["Irrigation__Auth__Users__0__Password"] = Password,
                    ["Irrigation__Auth__Users__0__Role"] = "viewer",
                }, scratch.File($"server-{i + 1}.log"), scratch.Path);
            }

            var webPort = FreePort.Next();
            await using var haproxy = ManagedProcess.Start("haproxy", RequiredTool.Find("haproxy", "haproxy"),
                ["-db", "-f", Path.Combine(RepoPaths.Root, "config", "cluster", "haproxy.cfg")], scratch.File("haproxy.log"), new Dictionary<string, string>
                {
                    ["HAPROXY_WEB_BIND"] = $"127.0.0.1:{webPort}",
                    ["HAPROXY_STATS_BIND"] = $"127.0.0.1:{FreePort.Next()}",
                    ["HAPROXY_SERVER_1"] = $"127.0.0.1:{ports[0]}",
                    ["HAPROXY_SERVER_2"] = $"127.0.0.1:{ports[1]}",
                });
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}/"), Timeout = TimeSpan.FromSeconds(10) };
            await HttpReadiness.WaitAsync(http, "health/live", HttpStatusCode.OK, TimeSpan.FromSeconds(20), "haproxy", () => haproxy);

            // Signed in once, through the front door; the token lives in the shared database.
            using (var token = await http.PostAsync(new Uri("api/auth/tokens", UriKind.Relative),
                new StringContent($$"""{"username":"{{User}}","password":"{{Password}}","name":"phone"}""", Encoding.UTF8, "application/json")))
            {
                var body = await token.Content.ReadAsStringAsync();
                Assert.True(token.StatusCode == HttpStatusCode.Created, $"token: {(int)token.StatusCode} {body}");
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", JsonNode.Parse(body)!["token"]!.GetValue<string>());
            }

            var (firstInstance, firstStream) = await OpenEventsAsync(http);
            Assert.Contains(firstInstance, instances.Keys);
            instances[firstInstance].KillHard();
            var killed = System.Diagnostics.Stopwatch.StartNew();
            var ended = await EndsWithinAsync(firstStream, TimeSpan.FromSeconds(10));
            var endedAfter = killed.Elapsed;
            Assert.True(ended, "the stream on the killed instance did not end");

            // What EventSource does after "retry: 3000": the same request to the same address.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var (secondInstance, secondStream) = await OpenEventsAsync(http);
            secondStream.Dispose();
            Assert.NotEqual(firstInstance, secondInstance);
            for (var i = 0; i < 10; i++)
            {
                using var stations = await http.GetAsync(new Uri("api/stations", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, stations.StatusCode);
            }

            output.WriteLine($"stream on {firstInstance} ended {endedAfter.TotalSeconds:0.0} s after its kill; reconnected after 3 s to {secondInstance}; 10 API requests answered");
        }
        finally
        {
            foreach (var process in instances.Values)
                await process.DisposeAsync();
        }
    }

    /// <summary>GET /api/events through the front door: the instance named by its "hello" event, and the open stream.</summary>
    private static async Task<(string Instance, StreamReader Stream)> OpenEventsAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/events");
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var hello = false;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line == "event: hello")
                hello = true;
            else if (hello && line.StartsWith("data:", StringComparison.Ordinal))
                return (JsonNode.Parse(line["data:".Length..])!["instance"]!.GetValue<string>(), reader);
        }

        throw new InvalidOperationException("the event stream ended before its hello");
    }

    /// <summary>True when the stream ends (or breaks) within <paramref name="limit"/>.</summary>
    private static async Task<bool> EndsWithinAsync(StreamReader stream, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            while (await stream.ReadLineAsync(timeout.Token) is not null)
            {
                // events still flowing: keep reading until it ends
            }

            return true;
        }
        catch (IOException)
        {
            return true; // the connection broke
        }
        catch (HttpRequestException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            stream.Dispose();
        }
    }
}
