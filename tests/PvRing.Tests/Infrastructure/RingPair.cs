// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;
using PvRing.Rings;

namespace PvRing.Tests.Infrastructure;

/// <summary>
/// A front and a back of one <see cref="RingVariant"/> (classic Xen by default) over two separate mappings of one ring
/// file in a private host: real shared memory, one process. Raw access to the four indices, wherever the variant keeps
/// them, lets tests play a hostile peer.
/// </summary>
internal sealed unsafe class RingPair<TRequest, TResponse> : IDisposable
    where TRequest : unmanaged
    where TResponse : unmanaged
{
    private readonly TempHost _host = new();
    private readonly SharedMemoryFile _raw;

    /// <summary>A classic one-page ring.</summary>
    public RingPair()
        : this(RingVariant.Classic())
    {
    }

    public RingPair(RingVariant variant, uint? startIndex = null)
    {
        Variant = variant;
        Geometry = RingVariantLayout.Geometry<TRequest, TResponse>(variant);
        FrontRing<TRequest, TResponse> created = RingFile.Create<TRequest, TResponse>(_host.Host, "ring", variant);
        _raw = _host.Host.OpenFile("ring");
        if (startIndex is uint start)
        {
            // Put a fresh ring at an arbitrary point of the index space, as after a long uptime.
            created.Dispose();
            RequestProducer = start;
            Index(Geometry.RequestEventOffset) = start + 1;
            ResponseProducer = start;
            Index(Geometry.ResponseEventOffset) = start + 1;
            Front = FrontRing<TRequest, TResponse>.Attach(_raw, variant, start);
            Back = BackRing<TRequest, TResponse>.Attach(_raw, variant, start);
        }
        else
        {
            Front = created;
            Back = RingFile.Attach<TRequest, TResponse>(_host.Host, "ring", variant);
        }
    }

    public RingVariant Variant { get; }

    public RingGeometry Geometry { get; }

    public FrontRing<TRequest, TResponse> Front { get; }

    public BackRing<TRequest, TResponse> Back { get; }

    public SharedMemoryFile Raw => _raw;

    public uint RequestProducer { get => Volatile.Read(ref Index(Geometry.RequestProducerOffset)); set => Volatile.Write(ref Index(Geometry.RequestProducerOffset), value); }

    public uint RequestEvent => Volatile.Read(ref Index(Geometry.RequestEventOffset));

    public uint ResponseProducer { get => Volatile.Read(ref Index(Geometry.ResponseProducerOffset)); set => Volatile.Write(ref Index(Geometry.ResponseProducerOffset), value); }

    public uint ResponseEvent => Volatile.Read(ref Index(Geometry.ResponseEventOffset));

    public void Dispose()
    {
        Front.Dispose();
        Back.Dispose();
        _raw.Dispose();
        _host.Dispose();
    }

    private ref uint Index(int offset) => ref *(uint*)(_raw.Pointer + offset);
}
