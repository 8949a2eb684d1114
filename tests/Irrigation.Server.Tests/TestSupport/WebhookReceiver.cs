using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Irrigation.Server.Tests.TestSupport;

/// <summary>A local HTTP receiver standing in for a WeCom/DingTalk robot or a generic webhook: records every request, answers like a robot.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public WebhookReceiver()
    {
        Port = Irrigation.Testing.FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    private int _withoutLength;

    /// <summary>Requests without a Content-Length (chunked): simple robots and receivers read those as empty.</summary>
    public int WithoutLength => Volatile.Read(ref _withoutLength);

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    public ConcurrentQueue<(string Path, string Query, JsonNode Body)> Requests { get; } = new();

    /// <summary>Paths that answer like a robot refusing the message (errcode 310000) the first N times.</summary>
    public ConcurrentDictionary<string, int> FailFirst { get; } = new(StringComparer.Ordinal);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

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
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
