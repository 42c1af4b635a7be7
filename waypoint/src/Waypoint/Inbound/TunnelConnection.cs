using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Meshway.Waypoint.Inbound;

/// <summary>
/// One HBONE tunnel presented to the internal Kestrel server as a connection: its input is the CONNECT
/// stream's request body (what the client sends), its output the response body. <see cref="Closed"/>
/// completes when Kestrel is done with it, which is when the CONNECT stream may end.
/// </summary>
internal sealed class TunnelConnection : ConnectionContext
{
    private readonly CancellationTokenSource _aborted = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TunnelConnection(string id, Stream input, Stream output, EndPoint? remote, EndPoint? local, HboneTunnelFeature tunnel)
    {
        ConnectionId = id;
        Transport = new DuplexPipe(
            PipeReader.Create(input, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(output, new StreamPipeWriterOptions(leaveOpen: true)));
        RemoteEndPoint = remote;
        LocalEndPoint = local;
        ConnectionClosed = _aborted.Token;
        Features.Set(tunnel);
        Features.Set<IConnectionIdFeature>(new IdFeature(id));
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public Task Closed => _closed.Task;

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _aborted.Cancel();
        _closed.TrySetResult();
    }

    public override async ValueTask DisposeAsync()
    {
        await Transport.Input.CompleteAsync();
        await Transport.Output.CompleteAsync();
        _closed.TrySetResult();
        _aborted.Dispose();
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private sealed class IdFeature(string id) : IConnectionIdFeature
    {
        public string ConnectionId { get; set; } = id;
    }
}
