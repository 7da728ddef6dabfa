// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Core.Tests.Infrastructure;
using PvRing.Memory;
using PvRing.Rings;

namespace PvRing.Core.Tests.Rings;

/// <summary>
/// A front and a back over two separate mappings of one ring file in a private host: real shared memory,
/// one process. Raw access to the shared header lets tests play a hostile peer.
/// </summary>
internal sealed unsafe class RingPair<TRequest, TResponse> : IDisposable
    where TRequest : unmanaged
    where TResponse : unmanaged
{
    private readonly TempHost _host = new();
    private readonly SharedMemoryFile _raw;

    public RingPair(int order = 0, uint? startIndex = null)
    {
        FrontRing<TRequest, TResponse> created = RingFile.Create<TRequest, TResponse>(_host.Host, "ring", RingVariant.Classic(order));
        _raw = _host.Host.OpenFile("ring");
        if (startIndex is uint start)
        {
            // Put a fresh ring at an arbitrary point of the index space, as after a long uptime.
            created.Dispose();
            Header[0] = start;
            Header[1] = start + 1;
            Header[2] = start;
            Header[3] = start + 1;
            Front = FrontRing<TRequest, TResponse>.Attach(_raw, RingVariant.Classic(order), start);
            Back = BackRing<TRequest, TResponse>.Attach(_raw, RingVariant.Classic(order), start);
        }
        else
        {
            Front = created;
            Back = RingFile.Attach<TRequest, TResponse>(_host.Host, "ring");
        }
    }

    public FrontRing<TRequest, TResponse> Front { get; }

    public BackRing<TRequest, TResponse> Back { get; }

    public SharedMemoryFile Raw => _raw;

    /// <summary>The shared header as four u32: req_prod, req_event, rsp_prod, rsp_event.</summary>
    public Span<uint> Header => new(_raw.Pointer, 4);

    public uint RequestProducer { get => Volatile.Read(ref Header[0]); set => Volatile.Write(ref Header[0], value); }

    public uint RequestEvent => Volatile.Read(ref Header[1]);

    public uint ResponseProducer { get => Volatile.Read(ref Header[2]); set => Volatile.Write(ref Header[2], value); }

    public uint ResponseEvent => Volatile.Read(ref Header[3]);

    public void Dispose()
    {
        Front.Dispose();
        Back.Dispose();
        _raw.Dispose();
        _host.Dispose();
    }
}
