using System.Net;
using System.Net.Sockets;
using System.Text;
using Irrigation.Gateway.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Irrigation.Gateway.Dtu;

/// <summary>
/// Accepts the TCP connections 4G DTUs open to the gateway. A DTU must send its registration packet
/// (e.g. <c>REG:st001\r\n</c>) within the registration timeout; then its connection carries Modbus RTU for the
/// station configured with that DTU id. Unknown ids and silent connections are closed, counted and logged.
/// </summary>
public sealed class DtuListener : BackgroundService
{
    private const int MaxRegistrationBytes = 128;

    private readonly DtuListenerSettings _settings;
    private readonly DtuRegistry _registry;
    private readonly ILogger<DtuListener> _logger;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly string _suffix;
    private readonly TaskCompletionSource<IPEndPoint> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _rejected;

    public DtuListener(DtuListenerSettings settings, DtuRegistry registry, ILogger<DtuListener> logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _registry = registry;
        _logger = logger;
        _time = time;
        var at = settings.Registration.IndexOf("{id}", StringComparison.Ordinal);
        _prefix = settings.Registration[..at];
        _suffix = settings.Registration[(at + 4)..];
    }

    /// <summary>The bound endpoint, once listening.</summary>
    public Task<IPEndPoint> Bound => _bound.Task;

    /// <summary>Connections closed for a bad or missing registration.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = new TcpListener(IPAddress.Parse(_settings.Host), _settings.Port);
        listener.Start();
        _bound.TrySetResult((IPEndPoint)listener.LocalEndpoint);
        _logger.LogInformation("DTU listener on {Endpoint}.", listener.LocalEndpoint);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var socket = await listener.AcceptSocketAsync(stoppingToken);
                _ = RegisterAsync(socket, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _logger.LogDebug("DTU listener stopping.");
        }
        finally
        {
            listener.Stop();
        }
    }

    private async Task RegisterAsync(Socket socket, CancellationToken stoppingToken)
    {
        socket.NoDelay = true;
        var peer = socket.RemoteEndPoint?.ToString() ?? "?";
        var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_settings.RegistrationTimeout);
            var id = await ReadRegistrationAsync(stream, timeout.Token);
            if (id is null || !_registry.Known.Contains(id))
            {
                Interlocked.Increment(ref _rejected);
                _logger.LogWarning("DTU connection from {Peer} rejected: {Reason}.", peer, id is null ? "bad registration packet" : $"unknown DTU id '{id}'");
                await stream.DisposeAsync();
                return;
            }

            _logger.LogInformation("DTU {Id} registered from {Peer}.", id, peer);
            await _registry.OfferAsync(id, stream, _time.GetUtcNow());
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
            Interlocked.Increment(ref _rejected);
            _logger.LogWarning("DTU connection from {Peer} closed before registering: {Reason}.", peer, ex is OperationCanceledException ? "registration timeout" : ex.Message);
            await stream.DisposeAsync();
        }
    }

    /// <summary>Reads byte by byte (never past the packet: what follows is Modbus) until prefix{id}suffix.</summary>
    private async Task<string?> ReadRegistrationAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRegistrationBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length, 1), cancellationToken);
            if (read == 0)
                return null;
            length++;
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            if (!_prefix.StartsWith(text, StringComparison.Ordinal) && !text.StartsWith(_prefix, StringComparison.Ordinal))
                return null;
            if (text.Length > _prefix.Length + _suffix.Length && text.EndsWith(_suffix, StringComparison.Ordinal))
            {
                var id = text[_prefix.Length..^_suffix.Length];
                return id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? id : null;
            }

            if (_suffix.Length == 0 && length == buffer.Length)
                return null;
        }

        return null;
    }
}
