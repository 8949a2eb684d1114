using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;

namespace Irrigation.Influx.Tests.TestSupport;

/// <summary>
/// An in-process HTTP handler that answers writes by a script, for the client's decision logic only (split,
/// resend, retry) — the behaviour of the real servers is proven against influxd and VictoriaMetrics elsewhere.
/// It records every request body (gunzipped) and stores the lines of accepted ones.
/// </summary>
internal sealed class ScriptedInfluxHandler(Func<string[], int, HttpResponseMessage?> answer) : HttpMessageHandler
{
    public ConcurrentQueue<string> Stored { get; } = new();

    public ConcurrentQueue<string[]> Requests { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var bytes = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
        if (request.Content.Headers.ContentEncoding.Contains("gzip"))
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            await gzip.CopyToAsync(plain, cancellationToken);
            bytes = plain.ToArray();
        }

        var lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Requests.Enqueue(lines);
        var response = answer(lines, Requests.Count);
        if (response is not null)
            return response;
        foreach (var line in lines)
            Stored.Enqueue(line);
        return new HttpResponseMessage(HttpStatusCode.NoContent);
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
}
