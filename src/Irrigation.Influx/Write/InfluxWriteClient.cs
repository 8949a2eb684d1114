using System.IO.Compression;
using System.Net.Http.Headers;
using Irrigation.Influx.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Irrigation.Influx.Write;

/// <summary>
/// Sends batches of line protocol (one point per line, ms timestamps) over HTTP, with retries of transient failures
/// (<see cref="InfluxRetryPolicy"/>) and the rule that only bad points are lost. Thread-safe; one instance per server,
/// shared, so that its pooled connections are reused.
/// <para>
/// Bad points, as found against the real servers (docs/influx-client.md):
/// influxd 1.6 writes every good point of a batch and answers <c>400 {"error":"partial write: ... dropped=N"}</c>,
/// for parse errors and field type conflicts alike — so the good points are never sent twice and the dropped ones are
/// only counted. Only when no line of the batch parses does it answer a plain 400 (nothing written), naming every line.
/// VictoriaMetrics 1.79 answers 204 and skips an unparsable line silently (it only logs it); it has no field types.
/// InfluxDB 2.x rejects the whole batch on a parse error and names lines by number: those lines are removed and
/// the rest sent again. When a refusal names no line, or the body is too large (413), the batch is split in two and
/// each half sent on its own, down to the single bad line.
/// </para>
/// </summary>
public sealed class InfluxWriteClient : IDisposable
{
    private const int MaxErrorBodyChars = 64 * 1024;
    private const int MaxSplitDepth = 40;

    private readonly InfluxWriteOptions _options;
    private readonly HttpClient _http;
    private readonly Uri _writeUri;
    private readonly InfluxRetryPolicy _retry;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <param name="handler">Replaces the pooled socket handler (tests).</param>
    /// <param name="random">Jitter source of the retry policy (tests).</param>
    public InfluxWriteClient(InfluxWriteOptions options, ILogger? logger = null, HttpMessageHandler? handler = null, TimeProvider? timeProvider = null, Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _retry = new InfluxRetryPolicy(options.Retry, random);
        _http = InfluxHttp.CreateClient(options.Timeout, handler);
        InfluxHttp.Authenticate(_http, options.Username, options.Password, options.Token, options.CredentialsInQuery);
        _writeUri = options.Api == InfluxWriteApi.V1
            ? InfluxHttp.Build(options.Url!, "write",
            [
                new("db", options.Database),
                new("rp", string.IsNullOrEmpty(options.RetentionPolicy) ? null : options.RetentionPolicy),
                new("precision", "ms"),
                new("u", options.CredentialsInQuery ? options.Username : null),
                new("p", options.CredentialsInQuery ? options.Password ?? "" : null),
            ])
            : InfluxHttp.Build(options.Url!, "api/v2/write",
            [
                new("org", string.IsNullOrEmpty(options.Org) ? null : options.Org),
                new("bucket", options.Bucket),
                new("precision", "ms"),
            ]);
    }

    public InfluxWriteOptions Options => _options;

    /// <summary>The write endpoint with its query (credentials included when sent in the query).</summary>
    internal Uri WriteUri => _writeUri;

    /// <summary>
    /// Writes <paramref name="lines"/> (<paramref name="pointCount"/> points, each line ending in a line feed).
    /// Returns once the server has stored every good point; bad points are dropped, counted in the result and logged.
    /// Throws <see cref="InfluxWriteException"/> when the batch could not be written at all (retries exhausted,
    /// database or retention policy missing, unauthorised): the caller still owns the data.
    /// </summary>
    public async Task<InfluxWriteResult> WriteAsync(ReadOnlyMemory<byte> lines, int pointCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pointCount);
        var started = _time.GetTimestamp();
        var tally = new Tally();
        if (!lines.IsEmpty)
            await WriteBatchAsync(lines, pointCount, tally, started, depth: 0, cancellationToken);
        var result = new InfluxWriteResult(pointCount, tally.Drops, tally.Requests, tally.Retries, _time.GetElapsedTime(started));
        foreach (var drop in result.Drops)
            _logger.LogWarning("InfluxDB dropped {Count} bad point(s) ({Reason}): {Message}", drop.Count, drop.Reason, drop.Message);
        return result;
    }

    private async Task WriteBatchAsync(ReadOnlyMemory<byte> lines, int points, Tally tally, long started, int depth, CancellationToken cancellationToken)
    {
        var (status, message) = await SendAsync(lines, tally, started, cancellationToken);
        if (status is >= 200 and < 300)
            return;
        if (status is 400 or 422)
        {
            if (InfluxWriteErrorText.IsPartialWrite(message))
            {
                tally.Drops.AddRange(InfluxWriteErrorText.PartialWriteDrops(message, points));
                return;
            }

            // Nothing of this batch was written. Remove the lines the server names and send the rest again.
            var ranges = InfluxWriteErrorText.LineRanges(lines.Span);
            var named = InfluxWriteErrorText.NamedLines(lines.Span, message);
            if (named.Count > 0)
            {
                tally.Drops.Add(new InfluxDroppedPoints(InfluxWriteErrorText.Classify(message), named.Count, message));
                if (named.Count < ranges.Count && depth < MaxSplitDepth)
                    await WriteBatchAsync(Without(lines.Span, ranges, named), ranges.Count - named.Count, tally, started, depth + 1, cancellationToken);
                return;
            }

            await SplitAsync(lines, ranges, InfluxWriteErrorText.Classify(message), message, tally, started, depth, cancellationToken);
            return;
        }

        if (status == 413)
        {
            await SplitAsync(lines, InfluxWriteErrorText.LineRanges(lines.Span), InfluxDropReason.TooLarge, message, tally, started, depth, cancellationToken);
            return;
        }

        throw new InfluxWriteException($"InfluxDB refused the write to {Describe()}: {status} {message}", status, isTransient: false);
    }

    /// <summary>Sends each half on its own; a single line that is still refused is dropped.</summary>
    private async Task SplitAsync(ReadOnlyMemory<byte> lines, List<Range> ranges, InfluxDropReason reason, string message, Tally tally, long started, int depth, CancellationToken cancellationToken)
    {
        if (ranges.Count <= 1 || depth >= MaxSplitDepth)
        {
            tally.Drops.Add(new InfluxDroppedPoints(reason, Math.Max(ranges.Count, 1), message));
            return;
        }

        var half = ranges.Count / 2;
        var cut = ranges[half].Start.Value;
        await WriteBatchAsync(lines[..cut], half, tally, started, depth + 1, cancellationToken);
        await WriteBatchAsync(lines[cut..], ranges.Count - half, tally, started, depth + 1, cancellationToken);
    }

    /// <summary>One request, retried while the failure is transient. Returns the final status and error message.</summary>
    private async Task<(int Status, string Message)> SendAsync(ReadOnlyMemory<byte> lines, Tally tally, long started, CancellationToken cancellationToken)
    {
        var body = _options.Gzip ? Compress(lines.Span) : lines;
        for (var attempt = 1; ; attempt++)
        {
            tally.Requests++;
            int? status = null;
            TimeSpan? retryAfter = null;
            Exception? failure = null;
            string message;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _writeUri) { Content = CreateContent(body) };
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                var code = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                    return (code, "");
                message = InfluxWriteErrorText.Message(await ReadErrorBodyAsync(response, cancellationToken), HeaderError(response));
                if (!InfluxRetryPolicy.IsRetryableStatus(code) || IsPermanentServerError(message))
                    return (code, message);
                status = code;
                retryAfter = InfluxRetryPolicy.RetryAfter(response.Headers.RetryAfter, _time.GetUtcNow());
                message = $"{code} {message}";
            }
            catch (Exception ex) when (InfluxRetryPolicy.IsTransient(ex, cancellationToken))
            {
                failure = ex;
                message = ex.Message;
            }

            var elapsed = _time.GetElapsedTime(started);
            if (!_retry.TryGetDelay(attempt, elapsed, retryAfter, out var delay))
                throw new InfluxWriteException($"InfluxDB write to {Describe()} failed after {attempt} attempt(s) in {elapsed.TotalSeconds:0.0} s: {message}", status, isTransient: true, failure);
            tally.Retries++;
            _logger.LogWarning("InfluxDB write attempt {Attempt} failed ({Failure}); retrying in {Delay} ms", attempt, message, (long)delay.TotalMilliseconds);
            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    private ReadOnlyMemoryContent CreateContent(ReadOnlyMemory<byte> body)
    {
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        if (_options.Gzip)
            content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    /// <summary>influxd 1.6 answers 500 for a retention policy that does not exist: no retry will make it appear.</summary>
    private static bool IsPermanentServerError(string message) =>
        message.Contains("retention policy not found", StringComparison.OrdinalIgnoreCase);

    private static string? HeaderError(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Influxdb-Error", out var values) ? string.Join("; ", values) : null;

    private static async Task<string> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length > MaxErrorBodyChars ? text[..MaxErrorBodyChars] : text;
    }

    private static ReadOnlyMemory<byte> Compress(ReadOnlySpan<byte> lines)
    {
        using var output = new MemoryStream((lines.Length / 4) + 64);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(lines);
        return output.GetBuffer().AsMemory(0, (int)output.Length);
    }

    private static byte[] Without(ReadOnlySpan<byte> lines, List<Range> ranges, IReadOnlyList<int> drop)
    {
        var dropped = new HashSet<int>(drop);
        using var output = new MemoryStream(lines.Length);
        for (var i = 0; i < ranges.Count; i++)
        {
            if (dropped.Contains(i))
                continue;
            output.Write(lines[ranges[i]]);
            output.WriteByte((byte)'\n');
        }

        return output.ToArray();
    }

    /// <summary>The endpoint without its query, which may hold a password.</summary>
    private string Describe() => _writeUri.GetLeftPart(UriPartial.Path);

    public void Dispose() => _http.Dispose();

    private sealed class Tally
    {
        public List<InfluxDroppedPoints> Drops { get; } = [];

        public int Requests { get; set; }

        public int Retries { get; set; }
    }
}
