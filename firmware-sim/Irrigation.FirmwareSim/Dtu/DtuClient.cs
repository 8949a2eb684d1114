using System.Net;
using System.Net.Sockets;
using System.Text;
using Irrigation.FirmwareSim.Hosting;
using Irrigation.Modbus.Diagnostics;
using Irrigation.Modbus.Framing;
using Irrigation.Modbus.Server;
using Microsoft.Extensions.Logging;

namespace Irrigation.FirmwareSim.Dtu;

/// <summary>
/// A simulated 4G DTU: connects out to the platform as a TCP client, sends a registration packet with its
/// DTU id, then serves the device line behind it on that connection (Modbus RTU frames, or a DL/T 645 meter) and
/// sends heartbeats — reconnecting with back-off whenever the link drops, as field DTUs do.
/// </summary>
internal sealed class DtuClient
{
    private readonly string _stationId;
    private readonly IPEndPoint _endpoint;
    private readonly Func<Stream, string, CancellationToken, Task> _serve;
    private readonly DtuSettings _settings;
    private readonly ILogger _logger;
    private readonly Func<bool> _dropped;

    /// <param name="stationId">The DTU id sent in the registration packet (the station's id, or "{id}-meter").</param>
    /// <param name="serve">Answers the line's frames on the stream until it closes: the session of its protocol.</param>
    public DtuClient(string stationId, IPEndPoint endpoint, Func<Stream, string, CancellationToken, Task> serve, DtuSettings settings, ILogger logger, Func<bool> dropped)
    {
        _stationId = stationId;
        _endpoint = endpoint;
        _serve = serve;
        _settings = settings;
        _logger = logger;
        _dropped = dropped;
    }

    /// <summary>A DTU in front of a Modbus RTU line.</summary>
    public static Func<Stream, string, CancellationToken, Task> Modbus(IModbusRequestHandler bus, ModbusCounters counters, ILogger logger) =>
        (stream, peer, cancellationToken) => ModbusServerSession.RunAsync(stream, ModbusRtuFramer.Instance, bus, counters, logger, peer, cancellationToken);

    /// <summary>True while connected (for the control endpoint and tests).</summary>
    public bool Connected { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (_dropped())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(_endpoint, cancellationToken);
                failures = 0;
                await using var stream = new SerializedWriteStream(new NetworkStream(socket, ownsSocket: false));
                await stream.WriteAsync(Encoding.ASCII.GetBytes(_settings.Registration.Replace("{id}", _stationId, StringComparison.Ordinal)), cancellationToken);
                Connected = true;
                _logger.LogInformation("DTU {Station}: connected to {Endpoint} and registered.", _stationId, _endpoint);
                using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var heartbeat = HeartbeatAsync(stream, session.Token);
                var watchdog = WatchDropAsync(socket, session.Token);
                await _serve(stream, $"dtu {_stationId}", session.Token);
                await session.CancelAsync();
                await Task.WhenAll(heartbeat, watchdog);
                _logger.LogInformation("DTU {Station}: link to {Endpoint} closed.", _stationId, _endpoint);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                failures++;
                _logger.LogDebug("DTU {Station}: {Endpoint} unreachable ({Reason}).", _stationId, _endpoint, ex.Message);
            }
            finally
            {
                Connected = false;
            }

            var delay = TimeSpan.FromMilliseconds(Math.Min(_settings.MaxReconnectDelay.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(failures, 10))));
            await Task.Delay(delay * (0.8 + (Random.Shared.NextDouble() * 0.4)), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task HeartbeatAsync(Stream stream, CancellationToken cancellationToken)
    {
        var heartbeat = Encoding.ASCII.GetBytes(_settings.Heartbeat);
        using var timer = new PeriodicTimer(_settings.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
                await stream.WriteAsync(heartbeat, cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            _logger.LogDebug("DTU {Station}: heartbeat stopped ({Reason}).", _stationId, ex.GetType().Name);
        }
    }

    /// <summary>Fault injection: a "drop" closes the link; the DTU stays away until the fault is cleared.</summary>
    private async Task WatchDropAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (_dropped())
                {
                    socket.Close();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
    }

    /// <summary>Lets heartbeats and Modbus responses share one socket without interleaving their bytes.</summary>
    private sealed class SerializedWriteStream(Stream inner) : Stream
    {
        private readonly SemaphoreSlim _write = new(1, 1);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException("A network stream has no length.");

        public override long Position
        {
            get => throw new NotSupportedException("A network stream has no position.");
            set => throw new NotSupportedException("A network stream has no position.");
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _write.WaitAsync(cancellationToken);
            try
            {
                await inner.WriteAsync(buffer, cancellationToken);
            }
            finally
            {
                _write.Release();
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count)
        {
            _write.Wait();
            try
            {
                inner.Write(buffer, offset, count);
            }
            finally
            {
                _write.Release();
            }
        }

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A network stream cannot seek.");

        public override void SetLength(long value) => throw new NotSupportedException("A network stream has no length.");

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                _write.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
