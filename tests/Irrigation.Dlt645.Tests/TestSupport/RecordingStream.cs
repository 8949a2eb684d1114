namespace Irrigation.Dlt645.Tests.TestSupport;

/// <summary>Wraps a connection and keeps every byte written and read, to assert exactly what crossed the wire.</summary>
internal sealed class RecordingStream : Stream
{
    private readonly Stream _inner;
    private readonly MemoryStream _written = new();
    private readonly MemoryStream _read = new();
    private readonly Lock _sync = new();

    public RecordingStream(Stream inner) => _inner = inner;

    public byte[] WrittenBytes
    {
        get
        {
            lock (_sync)
                return _written.ToArray();
        }
    }

    public byte[] ReadBytes
    {
        get
        {
            lock (_sync)
                return _read.ToArray();
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var count = await _inner.ReadAsync(buffer, cancellationToken);
        lock (_sync)
            _read.Write(buffer.Span[..count]);
        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_sync)
            _written.Write(buffer.Span);
        await _inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _written.Dispose();
            _read.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
