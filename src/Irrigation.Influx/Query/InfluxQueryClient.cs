using System.Globalization;
using System.Text;
using System.Text.Json;
using Irrigation.Influx.Http;

namespace Irrigation.Influx.Query;

/// <summary>
/// InfluxQL over the InfluxDB 1.x <c>/query</c> endpoint. Values from outside are passed as bound parameters
/// (<c>params</c>, a JSON object; referenced as <c>$name</c> in the query), never spliced into the text, so a tag value
/// like <c>x' OR '1'='1</c> is compared as the string it is. Times come back as Unix milliseconds (<c>epoch=ms</c>).
/// With several endpoints (replicas holding the same data) each query goes to the first in the order the caller's
/// function gives at that moment, and to the next when an endpoint cannot be reached (connection error or timeout);
/// a statement error is the query's own and is not retried elsewhere.
/// Thread-safe; share one instance per server.
/// </summary>
public sealed class InfluxQueryClient : IDisposable
{
    /// <summary>Longer GET URLs are sent as a POST form instead (proxies commonly cap URLs around 8 KB).</summary>
    private const int MaxGetUriLength = 4000;

    private static readonly IReadOnlyList<int> OnlyEndpoint = [0];

    private readonly Endpoint[] _endpoints;
    private readonly Func<IReadOnlyList<int>> _order;
    private readonly Action<int, Exception>? _failedOver;

    public InfluxQueryClient(InfluxQueryOptions options, HttpMessageHandler? handler = null)
        : this([options], () => OnlyEndpoint, null, handler)
    {
    }

    /// <param name="endpoints">Replicas of one database, in configured order.</param>
    /// <param name="order">Indexes into <paramref name="endpoints"/> to try, best first; called once per query.</param>
    /// <param name="failedOver">Told (endpoint index, error) when an endpoint could not be reached and the next is tried.</param>
    /// <param name="handler">Replaces the pooled socket handler (tests); shared by every endpoint.</param>
    public InfluxQueryClient(IReadOnlyList<InfluxQueryOptions> endpoints, Func<IReadOnlyList<int>> order, Action<int, Exception>? failedOver = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(order);
        if (endpoints.Count == 0)
            throw new ArgumentException("At least one endpoint is required.", nameof(endpoints));
        _endpoints = endpoints.Select(options =>
        {
            ArgumentNullException.ThrowIfNull(options, nameof(endpoints));
            options.Validate();
            var http = InfluxHttp.CreateClient(options.Timeout, handler);
            InfluxHttp.Authenticate(http, options.Username, options.Password, options.Token, options.CredentialsInQuery);
            return new Endpoint(options, http);
        }).ToArray();
        _order = order;
        _failedOver = failedOver;
    }

    /// <summary>
    /// Runs a reading query (SELECT, SHOW) with GET. <paramref name="parameters"/> are bound to <c>$name</c>
    /// placeholders: strings, booleans, integers, finite floats, and <see cref="DateTimeOffset"/>/<see cref="DateTime"/>
    /// (sent as RFC 3339 UTC strings, which InfluxQL compares with <c>time</c>). Identifiers (measurement, database)
    /// cannot be bound: influxd 1.6 answers "expected identifier". A statement error throws <see cref="InfluxQueryException"/>.
    /// </summary>
    public Task<InfluxQueryResult> QueryAsync(string influxQl, IReadOnlyDictionary<string, object?>? parameters = null, string? database = null, CancellationToken cancellationToken = default) =>
        SendAsync(influxQl, parameters, database, post: false, cancellationToken);

    /// <summary>
    /// Runs a statement that changes something (CREATE DATABASE, CREATE RETENTION POLICY, CREATE CONTINUOUS QUERY,
    /// DROP ..., SELECT INTO) with POST, as the API requires for them.
    /// </summary>
    public Task<InfluxQueryResult> ExecuteAsync(string statement, IReadOnlyDictionary<string, object?>? parameters = null, string? database = null, CancellationToken cancellationToken = default) =>
        SendAsync(statement, parameters, database, post: true, cancellationToken);

    private async Task<InfluxQueryResult> SendAsync(string influxQl, IReadOnlyDictionary<string, object?>? parameters, string? database, bool post, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(influxQl);
        var order = _endpoints.Length == 1 ? OnlyEndpoint : _order();
        Exception? unreachable = null;
        foreach (var index in order)
        {
            if ((uint)index >= (uint)_endpoints.Length)
                continue;
            try
            {
                return await SendAsync(_endpoints[index], influxQl, parameters, database, post, cancellationToken);
            }
            catch (Exception ex) when (_endpoints.Length > 1 && IsUnreachable(ex, cancellationToken))
            {
                unreachable = ex;
                _failedOver?.Invoke(index, ex);
            }
        }

        if (unreachable is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unreachable);
        throw new InvalidOperationException("The endpoint order named no endpoint.");
    }

    /// <summary>No answer at all: refused, reset, name not resolved, or the endpoint's timeout (not the caller's cancellation).</summary>
    private static bool IsUnreachable(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    private static async Task<InfluxQueryResult> SendAsync(Endpoint endpoint, string influxQl, IReadOnlyDictionary<string, object?>? parameters, string? database, bool post, CancellationToken cancellationToken)
    {
        var options = endpoint.Options;
        var form = new List<KeyValuePair<string, string?>>
        {
            new("q", influxQl),
            new("db", database ?? options.Database),
            new("epoch", "ms"),
            new("params", parameters is { Count: > 0 } ? SerializeParameters(parameters) : null),
            new("u", options.CredentialsInQuery ? options.Username : null),
            new("p", options.CredentialsInQuery ? options.Password ?? "" : null),
        };
        var uri = InfluxHttp.Build(options.Url!, "query", form);
        using var request = post || uri.AbsoluteUri.Length > MaxGetUriLength
            ? new HttpRequestMessage(HttpMethod.Post, InfluxHttp.Build(options.Url!, "query", []))
            {
                Content = new FormUrlEncodedContent(form.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string>(p.Key, p.Value!))),
            }
            : new HttpRequestMessage(HttpMethod.Get, uri);
        using var response = await endpoint.Http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return Parse(body, (int)response.StatusCode, response.IsSuccessStatusCode);
    }

    /// <summary>The <c>params</c> JSON object. Throws <see cref="ArgumentException"/> for a value InfluxQL cannot bind.</summary>
    internal static string SerializeParameters(IReadOnlyDictionary<string, object?> parameters)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            foreach (var (name, value) in parameters)
            {
                ArgumentException.ThrowIfNullOrEmpty(name, nameof(parameters));
                json.WritePropertyName(name);
                switch (value)
                {
                    case string s:
                        json.WriteStringValue(s);
                        break;
                    case bool b:
                        json.WriteBooleanValue(b);
                        break;
                    case sbyte or byte or short or ushort or int or uint or long:
                        json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                        break;
                    case ulong u:
                        json.WriteNumberValue(u);
                        break;
                    case float or double or decimal:
                        var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                        if (!double.IsFinite(d))
                            throw new ArgumentException($"Parameter '{name}' is {d}; InfluxQL has no literal for it.", nameof(parameters));
                        json.WriteNumberValue(d);
                        break;
                    case DateTimeOffset time:
                        json.WriteStringValue(Rfc3339(time));
                        break;
                    case DateTime time:
                        json.WriteStringValue(Rfc3339(new DateTimeOffset(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time)));
                        break;
                    case null:
                        throw new ArgumentException($"Parameter '{name}' is null; influxd cannot bind null (\"unable to bind parameter with type <nil>\").", nameof(parameters));
                    default:
                        throw new ArgumentException($"Parameter '{name}' has type {value.GetType().Name}, which InfluxQL cannot bind.", nameof(parameters));
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    internal static InfluxQueryResult Parse(string body, int statusCode, bool success)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new InfluxQueryException($"InfluxDB answered {statusCode} with a body that is not JSON: {Truncate(body)} ({ex.Message})", statusCode);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
                throw new InfluxQueryException(error.ToString(), statusCode);
            if (!success || root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
                throw new InfluxQueryException($"InfluxDB answered {statusCode}: {Truncate(body)}", statusCode);

            var statements = new List<InfluxStatementResult>();
            foreach (var result in results.EnumerateArray())
            {
                var id = result.TryGetProperty("statement_id", out var sid) && sid.TryGetInt32(out var n) ? n : statements.Count;
                if (result.TryGetProperty("error", out var statementError))
                    throw new InfluxQueryException($"statement {id}: {statementError}", statusCode, id);
                statements.Add(new InfluxStatementResult(id, ParseSeries(result), ParseMessages(result)));
            }

            return new InfluxQueryResult(statements);
        }
    }

    private static List<InfluxSeries> ParseSeries(JsonElement result)
    {
        var list = new List<InfluxSeries>();
        if (!result.TryGetProperty("series", out var series) || series.ValueKind != JsonValueKind.Array)
            return list;
        foreach (var s in series.EnumerateArray())
        {
            var name = s.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            if (s.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object)
            {
                foreach (var tag in t.EnumerateObject())
                    tags[tag.Name] = tag.Value.ValueKind == JsonValueKind.String ? tag.Value.GetString()! : tag.Value.ToString();
            }

            var columns = s.TryGetProperty("columns", out var c) ? c.EnumerateArray().Select(x => x.GetString() ?? "").ToList() : [];
            var rows = new List<JsonElement[]>();
            if (s.TryGetProperty("values", out var values) && values.ValueKind == JsonValueKind.Array)
            {
                foreach (var row in values.EnumerateArray())
                    rows.Add(row.EnumerateArray().Select(v => v.Clone()).ToArray());
            }

            list.Add(new InfluxSeries(name, tags, columns, rows));
        }

        return list;
    }

    private static List<string> ParseMessages(JsonElement result)
    {
        var messages = new List<string>();
        if (result.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in m.EnumerateArray())
                messages.Add(message.TryGetProperty("text", out var text) ? text.ToString() : message.ToString());
        }

        return messages;
    }

    private static string Rfc3339(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string Truncate(string text) => text.Length > 500 ? text[..500] + "..." : text;

    public void Dispose()
    {
        foreach (var endpoint in _endpoints)
            endpoint.Http.Dispose();
    }

    private sealed record Endpoint(InfluxQueryOptions Options, HttpClient Http);
}
