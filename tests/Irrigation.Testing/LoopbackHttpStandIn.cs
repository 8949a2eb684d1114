using System.Globalization;
using System.Net;

namespace Irrigation.Testing;

/// <summary>
/// An HTTP listener on 127.0.0.1 at a free port that answers each request with <see cref="AnswerAsync"/>, one at a
/// time: the base of the stand-ins for outside services (SMS and voice providers, chat robots). A client that goes
/// away mid-answer is ignored; disposing stops the listener and waits for the loop.
/// </summary>
public abstract class LoopbackHttpStandIn : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    protected LoopbackHttpStandIn()
    {
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    /// <summary>The base address, ending in a slash.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/";

    /// <summary>Reads the request and writes the whole answer (the response is closed afterwards if it is not yet).</summary>
    protected abstract Task AnswerAsync(HttpListenerContext context);

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

            try
            {
                await AnswerAsync(context);
                context.Response.Close();
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
            {
                // the client went away
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        GC.SuppressFinalize(this);
    }
}
