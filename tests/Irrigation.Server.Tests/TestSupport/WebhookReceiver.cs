using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Irrigation.Server.Tests.TestSupport;

/// <summary>A local HTTP receiver standing in for a WeCom/DingTalk robot or a generic webhook: records every request, answers like a robot.</summary>
internal sealed class WebhookReceiver : Irrigation.Testing.LoopbackHttpStandIn
{
    private int _withoutLength;

    /// <summary>Requests without a Content-Length (chunked): simple robots and receivers read those as empty.</summary>
    public int WithoutLength => Volatile.Read(ref _withoutLength);

    public string Url(string path) => Endpoint + path;

    public ConcurrentQueue<(string Path, string Query, JsonNode Body)> Requests { get; } = new();

    /// <summary>Paths that answer like a robot refusing the message (errcode 310000) the first N times.</summary>
    public ConcurrentDictionary<string, int> FailFirst { get; } = new(StringComparer.Ordinal);

    protected override async Task AnswerAsync(HttpListenerContext context)
    {
        if (context.Request.ContentLength64 <= 0)
            Interlocked.Increment(ref _withoutLength);
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var path = context.Request.Url!.AbsolutePath.Trim('/');
        Requests.Enqueue((path, context.Request.Url.Query, JsonNode.Parse(text)!));
        var refuse = FailFirst.TryGetValue(path, out var left) && left > 0 && FailFirst.TryUpdate(path, left - 1, left);
        var answer = refuse ? "{\"errcode\":310000,\"errmsg\":\"keywords not in content\"}" : "{\"errcode\":0,\"errmsg\":\"ok\"}";
        var bytes = Encoding.UTF8.GetBytes(answer);
        context.Response.ContentType = "application/json";
        await context.Response.OutputStream.WriteAsync(bytes);
    }
}
