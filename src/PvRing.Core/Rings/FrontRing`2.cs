// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using PvRing.Memory;

namespace PvRing.Rings;

/// <summary>
/// The frontend's end of a Xen shared ring: it produces <typeparamref name="TRequest"/>s and consumes
/// <typeparamref name="TResponse"/>s, with every operation of <c>io/ring.h</c>.
/// </summary>
/// <typeparam name="TRequest">The request struct, laid out as the C struct (for example <c>NetifTxRequest</c>).</typeparam>
/// <typeparam name="TResponse">The response struct.</typeparam>
/// <remarks>
/// Design: the ring keeps ring.h's private indices (<c>req_prod_pvt</c>, <c>rsp_cons</c>) in fields and a
/// cached copy of the back's <c>rsp_prod</c>, which it re-reads from shared memory only when the cache says
/// "no responses": a busy ring then touches the peer's cache line once per batch, not once per response.
/// Every response is copied out of the shared slot before the caller sees it (<c>RING_COPY_RESPONSE</c>),
/// and the back's producer index is checked before it is trusted: a back end that claims more responses
/// than there are outstanding requests raises <see cref="PvRingProtocolException"/>.
/// A ring is used by one thread at a time (the front's producer/consumer thread); it takes no locks.
/// </remarks>
public sealed unsafe partial class FrontRing<TRequest, TResponse> : IDisposable, IBatchPublisher
    where TRequest : unmanaged
    where TResponse : unmanaged
{
    private readonly SharedRingView _view;
    private readonly MappingLease _lease;
    private readonly SlotLayoutKind _slotLayout;

    private uint _requestProducerPrivate;
    private uint _responseConsumer;
    private uint _responseProducerSeen;
    private uint _requestStamped; // with stamped request slots: the slots before it carry their stamps
    private bool _disposed;

    internal FrontRing(SharedMemoryFile memory, long offset, RingGeometry geometry, bool initialize, uint startIndex)
        : this(new SharedRingView(memory, offset, geometry, Unsafe.SizeOf<TRequest>(), Unsafe.SizeOf<TResponse>()), memory.Lease(), initialize, startIndex)
    {
    }

    /// <summary>A front over an already checked view; <paramref name="lease"/> keeps its pages mapped until <see cref="Dispose"/>.</summary>
    internal FrontRing(SharedRingView view, MappingLease lease, bool initialize, uint startIndex)
    {
        _view = view;
        _lease = lease;
        _slotLayout = view.SlotLayout<TRequest, TResponse>();

        if (initialize)
        {
            // SHARED_RING_INIT: only the front initialises the shared header (a back never does). With split rings
            // and split indexes the response index pair sits before the response slots, outside the header.
            new Span<byte>(_view.Header, view.Geometry.HeaderSize).Clear();
            *_view.ResponseProducer = 0;
            *_view.RequestEvent = 1;
            *_view.ResponseEvent = 1;
            _view.ClearStamps();
            startIndex = 0;
        }

        // FRONT_RING_ATTACH leaves the header alone; what the back publishes is checked when it is read.
        _requestProducerPrivate = startIndex;
        _responseConsumer = startIndex;
        _responseProducerSeen = startIndex;
        _requestStamped = startIndex;
        _counters.StartIndex = startIndex;

        if (initialize)
        {
            // The header (events = 1) is visible before any index the front publishes later.
            MemoryOrder.WriteRelease(_view.RequestProducer, 0);
        }
    }

    /// <summary>
    /// Initialises a ring of <paramref name="variant"/>'s layout at the start of <paramref name="memory"/>
    /// (<c>SHARED_RING_INIT</c> + <c>FRONT_RING_INIT</c>) and returns its front end. The back must attach with the
    /// same variant; <see cref="RingVariant.Classic(int)"/> is Xen's own ring of 2^order pages.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The ring does not fit the mapping.</exception>
    public static FrontRing<TRequest, TResponse> Initialize(SharedMemoryFile memory, RingVariant variant) =>
        new(memory, 0, RingVariantLayout.Geometry<TRequest, TResponse>(variant), initialize: true, startIndex: 0);

    /// <summary>
    /// Attaches to a live ring of <paramref name="variant"/>'s layout without touching the shared indices
    /// (<c>FRONT_RING_ATTACH</c>), with both private indices at <paramref name="startIndex"/>.
    /// </summary>
    public static FrontRing<TRequest, TResponse> Attach(SharedMemoryFile memory, RingVariant variant, uint startIndex) =>
        new(memory, 0, RingVariantLayout.Geometry<TRequest, TResponse>(variant), initialize: false, startIndex);

    /// <summary><c>RING_SIZE</c>: the number of slots, a power of two.</summary>
    public int Size => (int)_view.Size;

    /// <summary><c>req_prod_pvt</c>: the index of the next request slot to fill.</summary>
    public uint RequestProducerPrivate => _requestProducerPrivate;

    /// <summary><c>rsp_cons</c>: the index of the next response to consume.</summary>
    public uint ResponseConsumer => _responseConsumer;

    /// <summary><c>RING_FREE_REQUESTS</c>: how many requests can be made before responses are consumed.</summary>
    public int FreeRequests => (int)(_view.Size - RingIndex.Distance(_responseConsumer, _requestProducerPrivate));

    /// <summary><c>RING_FULL</c>: no request can be made until a response is consumed.</summary>
    public bool IsFull => FreeRequests == 0;

    /// <summary>Requests made and not yet answered: <c>req_prod_pvt - rsp_cons</c>.</summary>
    public int OutstandingRequests => (int)RingIndex.Distance(_responseConsumer, _requestProducerPrivate);

    /// <summary>
    /// <c>RING_HAS_UNCONSUMED_RESPONSES</c>: reads the back's <c>rsp_prod</c> and returns how many responses
    /// wait, after checking it (<c>RING_RESPONSE_PROD_OVERFLOW</c>).
    /// </summary>
    /// <exception cref="PvRingProtocolException">The back published an impossible <c>rsp_prod</c>.</exception>
    public int UnconsumedResponses
    {
        get
        {
            ThrowIfDisposed();
            RefreshResponseProducer();
            return (int)RingIndex.Distance(_responseConsumer, _responseProducerSeen);
        }
    }

    /// <summary>
    /// Called with <see cref="IRingNotifier.Notify"/> when a publish finds that the back asked to be woken
    /// (<c>notify_remote_via_irq</c>). Null (the default) means the back polls.
    /// </summary>
    public IRingNotifier? Notifier { get; set; }

    internal RingGeometry Geometry => _view.Geometry;

    /// <summary>
    /// <c>RING_GET_REQUEST</c>: the request slot for <paramref name="index"/>, in shared memory. The front
    /// fills slots at <see cref="RequestProducerPrivate"/> and beyond, then advances and publishes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TRequest GetRequest(uint index)
    {
        ThrowIfDisposed();
        return ref Unsafe.AsRef<TRequest>(RequestSlot(index));
    }

    /// <summary>
    /// The whole request slot for <paramref name="index"/> as bytes, in shared memory: the entry first, then the
    /// stride's padding, which a protocol may fill with a small payload (the inline direction of
    /// <see cref="RingSlotKind.InlineRequests"/>/<see cref="RingSlotKind.InlineResponses"/> rings has 128-byte slots). Write the payload before the entry's push publishes the slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetRequestSlotBytes(uint index)
    {
        ThrowIfDisposed();
        return new Span<byte>(RequestSlot(index), (int)_view.RequestStride);
    }

    /// <summary>
    /// The whole response slot for <paramref name="index"/> as bytes, in shared memory (the peer may change them at any
    /// time: copy what you use, then check the copy).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> GetResponseSlotBytes(uint index)
    {
        ThrowIfDisposed();
        return new ReadOnlySpan<byte>(ResponseSlot(index), (int)_view.ResponseStride);
    }

    /// <summary>
    /// Writes <paramref name="request"/> (the whole struct) into the next slot and advances
    /// <c>req_prod_pvt</c>. The back sees it after the next push.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ring is full (<see cref="IsFull"/>).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ProduceRequest(in TRequest request)
    {
        ThrowIfDisposed();
        uint index = _requestProducerPrivate;
        if (RingIndex.Distance(_responseConsumer, index) >= _view.Size)
        {
            ThrowHelper.ThrowRingFull(_view.Size, RingIndex.Distance(_responseConsumer, index));
        }

        Unsafe.WriteUnaligned(RequestSlot(index), request);
        _requestProducerPrivate = index + 1;
    }

    /// <summary>
    /// Claims up to <paramref name="maxCount"/> free request slots (fewer if fewer are free; possibly none).
    /// Fill them through the batch's indexer; disposing the batch publishes them all at once and, if the back
    /// asked to be woken, calls the <see cref="Notifier"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotBatch<TRequest> ClaimRequests(int maxCount)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        return new SlotBatch<TRequest>(this, _view.RequestSlots, _view.RequestStride, _view.Mask, _requestProducerPrivate, Math.Min(maxCount, FreeRequests));
    }

    /// <summary><c>RING_PUSH_REQUESTS</c>: publishes every request made so far.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PushRequests()
    {
        ThrowIfDisposed();

        StampRequests();

        // wmb(); req_prod = req_prod_pvt: the back sees the request slots before the index covering them.
        MemoryOrder.WriteRelease(_view.RequestProducer, _requestProducerPrivate);
        CountPublish();
    }

    /// <summary>
    /// <c>RING_PUSH_REQUESTS_AND_CHECK_NOTIFY</c>: publishes every request made so far and returns whether the
    /// back asked to be woken for one of them (<c>req_event</c> in (old, new]). It does not call the notifier.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool PushRequestsAndCheckNotify()
    {
        ThrowIfDisposed();
        StampRequests();
        bool notify = SharedRingView.PublishAndCheckNotify(_view.RequestProducer, _view.RequestEvent, _requestProducerPrivate);
        CountPublish();
        return notify;
    }

    /// <summary>
    /// <c>RING_FINAL_CHECK_FOR_RESPONSES</c>: returns true if responses wait; otherwise arms <c>rsp_event</c>
    /// (wake me on the next response) and checks once more, closing the race with a back that published just
    /// before the arming. Call it before going to sleep; false means sleeping is safe.
    /// </summary>
    public bool FinalCheckForResponses()
    {
        ThrowIfDisposed();
        if (RefreshResponseProducer())
        {
            return true;
        }

        SharedRingView.ArmEvent(_view.ResponseEvent, _responseConsumer + 1);
        return RefreshResponseProducer();
    }

    /// <summary>
    /// <c>RING_COPY_RESPONSE</c>: one read of the shared slot for <paramref name="index"/> into a private copy.
    /// Validate the copy, never the slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TResponse CopyResponse(uint index)
    {
        ThrowIfDisposed();
        return Unsafe.ReadUnaligned<TResponse>(ResponseSlot(index));
    }

    /// <summary>
    /// Copies the next response out of the ring and advances <c>rsp_cons</c>; false when none waits.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The back published an impossible <c>rsp_prod</c>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryConsumeResponse(out TResponse response)
    {
        ThrowIfDisposed();
        uint consumer = _responseConsumer;
        if (consumer == _responseProducerSeen && !RefreshResponseProducer())
        {
            response = default;
            return false;
        }

        response = Unsafe.ReadUnaligned<TResponse>(ResponseSlot(consumer));
        _responseConsumer = consumer + 1;
        _counters.OnConsume(1);
        return true;
    }

    /// <summary>
    /// Copies up to <c>destination.Length</c> waiting responses out of the ring, advances <c>rsp_cons</c> past
    /// them and returns how many were copied (0 when none waits).
    /// </summary>
    /// <exception cref="PvRingProtocolException">The back published an impossible <c>rsp_prod</c>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ConsumeResponses(Span<TResponse> destination) => _slotLayout switch
    {
        SlotLayoutKind.ConstantUnion => ConsumeResponsesCore<ConstantUnionSlots<TRequest, TResponse>>(destination),
        SlotLayoutKind.ConstantSplit => ConsumeResponsesCore<ConstantSplitSlots<TRequest, TResponse>>(destination),
        SlotLayoutKind.AlignedUnionNetwork => ConsumeResponsesCore<AlignedUnionSlots<TRequest, TResponse, NetworkSlotAlignment>>(destination),
        SlotLayoutKind.AlignedUnionBlock => ConsumeResponsesCore<AlignedUnionSlots<TRequest, TResponse, BlockSlotAlignment>>(destination),
        SlotLayoutKind.AlignedSplitNetwork => ConsumeResponsesCore<AlignedSplitSlots<TRequest, TResponse, NetworkSlotAlignment>>(destination),
        SlotLayoutKind.AlignedSplitBlock => ConsumeResponsesCore<AlignedSplitSlots<TRequest, TResponse, BlockSlotAlignment>>(destination),
        _ => ConsumeResponsesCore<GeometrySlots>(destination),
    };

    /// <summary>
    /// The front end's completion loop in one call: for each waiting response (at most <paramref name="maxCount"/>),
    /// copies it out of its slot (<c>RING_COPY_RESPONSE</c>) and hands the copy to <paramref name="consumer"/>, then
    /// advances <c>rsp_cons</c> once. Returns how many responses were consumed; a response the consumer refuses stops
    /// the loop and stays unconsumed.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The back published an impossible <c>rsp_prod</c>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ConsumeResponses<TConsumer>(ref TConsumer consumer, int maxCount)
        where TConsumer : struct, IResponseConsumer<TResponse> => _slotLayout switch
        {
            SlotLayoutKind.ConstantUnion => ConsumeResponsesCore<TConsumer, ConstantUnionSlots<TRequest, TResponse>>(ref consumer, maxCount),
            SlotLayoutKind.ConstantSplit => ConsumeResponsesCore<TConsumer, ConstantSplitSlots<TRequest, TResponse>>(ref consumer, maxCount),
            SlotLayoutKind.AlignedUnionNetwork => ConsumeResponsesCore<TConsumer, AlignedUnionSlots<TRequest, TResponse, NetworkSlotAlignment>>(ref consumer, maxCount),
            SlotLayoutKind.AlignedUnionBlock => ConsumeResponsesCore<TConsumer, AlignedUnionSlots<TRequest, TResponse, BlockSlotAlignment>>(ref consumer, maxCount),
            SlotLayoutKind.AlignedSplitNetwork => ConsumeResponsesCore<TConsumer, AlignedSplitSlots<TRequest, TResponse, NetworkSlotAlignment>>(ref consumer, maxCount),
            SlotLayoutKind.AlignedSplitBlock => ConsumeResponsesCore<TConsumer, AlignedSplitSlots<TRequest, TResponse, BlockSlotAlignment>>(ref consumer, maxCount),
            _ => ConsumeResponsesCore<TConsumer, GeometrySlots>(ref consumer, maxCount),
        };

    /// <summary><c>RING_RESPONSE_PROD_OVERFLOW</c>: whether <paramref name="producer"/> is an impossible <c>rsp_prod</c>.</summary>
    public bool IsResponseProducerOverflow(uint producer) => RingIndex.ProducerOverflows(producer, _responseConsumer, _view.Size);

    /// <summary>
    /// Throws a <see cref="PvRingException"/> if a named file under the ring was truncated (by the peer): a slow-path
    /// check for any loop that sleeps between reads of the ring (<c>PvRing.Events.RingWaiter</c> and the net queues' waits
    /// run it after each sleep). One <c>fstat</c> for a ring file; the arena and grant table for a ring granted from a named arena (<c>PvRing.Grants.GrantedRing</c>); nothing to do for sealed memory. A truncated file
    /// gets its length back before the throw (the lost contents read as zeros), so closing the connection cannot fault.
    /// </summary>
    /// <exception cref="PvRingException">A file under the ring is shorter than its mapping (or was found so before).</exception>
    public void CheckIntact() => _lease.CheckIntact();

    /// <summary>Releases this ring's hold on the shared mapping. The shared memory itself is left as it is.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            DisableMetrics();
            _lease.Dispose();
        }
    }

    /// <summary>Advances <c>req_prod_pvt</c> over a claimed batch, publishes it and notifies if asked to.</summary>
    // Called once per batch through the interface: left to tiering it ran as Tier0 code (no inlining of the publish and
    // its fence helpers) for most of a benchmark run, as the JIT's compile log showed; compile it optimised at once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    bool IBatchPublisher.PublishBatch(uint start, int count)
    {
        ThrowIfDisposed();
        if (_requestProducerPrivate != start)
        {
            ThrowHelper.ThrowBatchOverlap("req_prod_pvt", start, _requestProducerPrivate);
        }

        _requestProducerPrivate = start + (uint)count;
        bool notify = count != 0 && PushRequestsAndCheckNotify();
        if (notify)
        {
            Notifier?.Notify();
        }

        return notify;
    }

    // The batch loops, one compiled per slot layout (ISlotLayout): fully optimised at once, because with tiered
    // compilation a loop called once per batch can run for a long time in unoptimised code before it is promoted.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ConsumeResponsesCore<TSlots>(Span<TResponse> destination)
        where TSlots : struct, ISlotLayout
    {
        ThrowIfDisposed();
        uint consumer = _responseConsumer;
        if (consumer == _responseProducerSeen && !RefreshResponseProducer())
        {
            return 0;
        }

        int count = (int)Math.Min((uint)destination.Length, RingIndex.Distance(consumer, _responseProducerSeen));
        destination = destination[..count];
        byte* slots = TSlots.ResponseSlots(in _view);
        uint mask = _view.Mask;
        nuint stride = TSlots.ResponseStride(in _view);
        for (int i = 0; i < destination.Length; i++)
        {
            // RING_COPY_RESPONSE: one read of each slot, into the caller's private buffer.
            destination[i] = Unsafe.ReadUnaligned<TResponse>(slots + (((consumer + (uint)i) & mask) * stride));
        }

        _responseConsumer = consumer + (uint)count;
        _counters.OnConsume((uint)count);
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ConsumeResponsesCore<TConsumer, TSlots>(ref TConsumer consumer, int maxCount)
        where TConsumer : struct, IResponseConsumer<TResponse>
        where TSlots : struct, ISlotLayout
    {
        ThrowIfDisposed();
        uint start = _responseConsumer;
        if (start == _responseProducerSeen && !RefreshResponseProducer())
        {
            return 0;
        }

        uint count = Math.Min((uint)Math.Max(maxCount, 0), RingIndex.Distance(start, _responseProducerSeen));
        byte* slots = TSlots.ResponseSlots(in _view);
        uint mask = _view.Mask;
        nuint stride = TSlots.ResponseStride(in _view);

        // The consumer is copied into a local for the loop so its fields live in registers (through the ref, every
        // update is a memory read-modify-write per response); it is written back once. If it throws, neither rsp_cons
        // nor the consumer changes, so the same responses are offered again by the next call.
        TConsumer local = consumer;
        uint consumed = 0;
        for (; consumed < count; consumed++)
        {
            // RING_COPY_RESPONSE: one read of the shared slot; the consumer only sees the private copy.
            TResponse response = Unsafe.ReadUnaligned<TResponse>(slots + (((start + consumed) & mask) * stride));
            if (!local.TryConsume(in response))
            {
                break;
            }
        }

        consumer = local;
        _responseConsumer = start + consumed;
        _counters.OnConsume(consumed);
        return (int)consumed;
    }

    /// <summary>Counts a publish, and whether it left the ring full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CountPublish() => _counters.OnPublish(RingIndex.Distance(_responseConsumer, _requestProducerPrivate) >= _view.Size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* RequestSlot(uint index) => _view.RequestSlot(index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* ResponseSlot(uint index) => _view.ResponseSlot(index);

    /// <summary>Re-reads <c>rsp_prod</c>, validates it, and returns whether responses wait.</summary>
    // Inlined: a streaming ring empties its cache on every batch, so this runs once per batch on the hot path.
    // As a NoInlining method it started in Tier0 (three calls for a load and two compares) and stayed there for
    // the first 30 calls plus the tiering delay, which covered whole benchmark runs. Only the throw stays cold.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool RefreshResponseProducer()
    {
        // Stamped slots: the next slot's own line says whether the back got there (and the slots after it, up to the requests
        // made); the index is read only when it does not.
        if (_view.TakeResponseStamps(ref _responseProducerSeen, _requestProducerPrivate))
        {
            return true;
        }

        // Stamped responses taken and not yet consumed: the index could only say what the next stamp will (the back stamps
        // before it publishes), so it is read when they are consumed, not now. Its line is the one the back has just written:
        // a receive that re-checked here after its poll found the stamp paid a line transfer for nothing.
        if (_view.ResponseStampOffset >= 0 && _responseProducerSeen != _responseConsumer)
        {
            return true;
        }

        // rsp_prod, then rmb(): the response slots up to it are read after the index.
        uint producer = MemoryOrder.ReadAcquire(_view.ResponseProducer);
        uint outstanding = RingIndex.Distance(_responseConsumer, _requestProducerPrivate);
        if (RingIndex.Distance(_responseConsumer, producer) > outstanding)
        {
            if (_view.ResponseStampOffset >= 0 && RingIndex.Distance(producer, _responseConsumer) <= _view.Size)
            {
                // Behind the stamped slots already consumed: the back stamps its slots before it publishes the index over them.
                return false;
            }

            ThrowResponseProducerInvalid(producer, outstanding);
        }

        // Here every stamped slot taken is consumed (see above), so the index is all there is to go on.
        _responseProducerSeen = producer;
        return producer != _responseConsumer;
    }

    /// <summary>With stamped request slots: stamps the slots this publish covers, before the index (see <see cref="RingVariantLayout.InlineStampOffset"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StampRequests() => _view.StampRequests(ref _requestStamped, _requestProducerPrivate);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowResponseProducerInvalid(uint producer, uint outstanding) =>
        ThrowHelper.ThrowProtocol(
            $"The back published an impossible response producer: rsp_prod={producer}, rsp_cons={_responseConsumer}, " +
            $"outstanding={outstanding}, size={_view.Size} (RING_RESPONSE_PROD_OVERFLOW or more responses than requests).");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }
    }
}
