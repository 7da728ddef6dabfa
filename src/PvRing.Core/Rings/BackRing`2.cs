// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using PvRing.Memory;

namespace PvRing.Rings;

/// <summary>
/// The backend's end of a Xen shared ring: it consumes <typeparamref name="TRequest"/>s and produces
/// <typeparamref name="TResponse"/>s, with every operation of <c>io/ring.h</c>. A back never initialises
/// the shared header: the front owns it.
/// </summary>
/// <typeparam name="TRequest">The request struct, laid out as the C struct.</typeparam>
/// <typeparam name="TResponse">The response struct.</typeparam>
/// <remarks>
/// Design: the front is hostile. Its <c>req_prod</c> is read once per refresh, checked
/// (<c>RING_REQUEST_PROD_OVERFLOW</c>, and that it never moves backwards) and cached; consumption stops at
/// the free response space (<c>RING_REQUEST_CONS_OVERFLOW</c>); every request is copied out of its slot
/// (<c>RING_COPY_REQUEST</c>) before anything looks at it. A bad index raises
/// <see cref="PvRingProtocolException"/> without a single slot being read past the ring.
/// One thread at a time uses a ring; it takes no locks.
/// </remarks>
public sealed unsafe partial class BackRing<TRequest, TResponse> : IDisposable, IBatchPublisher
    where TRequest : unmanaged
    where TResponse : unmanaged
{
    private readonly SharedRingView _view;
    private readonly MappingLease _lease;
    private readonly SlotLayoutKind _slotLayout;

    private uint _requestConsumer;
    private uint _responseProducerPrivate;
    private uint _requestProducerSeen;
    private uint _responseStamped; // with stamped response slots: the slots before it carry their stamps
    private bool _disposed;

    internal BackRing(SharedMemoryFile memory, long offset, RingGeometry geometry, uint startIndex)
        : this(new SharedRingView(memory, offset, geometry, Unsafe.SizeOf<TRequest>(), Unsafe.SizeOf<TResponse>()), memory.Lease(), startIndex)
    {
    }

    /// <summary>A back over an already checked view; <paramref name="lease"/> keeps its pages mapped until <see cref="Dispose"/>.</summary>
    internal BackRing(SharedRingView view, MappingLease lease, uint startIndex)
    {
        _view = view;
        _lease = lease;
        _slotLayout = view.SlotLayout<TRequest, TResponse>();

        // BACK_RING_INIT / BACK_RING_ATTACH: private indices only; the shared header is the front's.
        _requestConsumer = startIndex;
        _responseProducerPrivate = startIndex;
        _requestProducerSeen = startIndex;
        _responseStamped = startIndex;
        _counters.StartIndex = startIndex;
    }

    /// <summary>
    /// <c>BACK_RING_INIT</c> for a ring of <paramref name="variant"/>'s layout at the start of <paramref name="memory"/>,
    /// which a front has initialised with the same variant, with both private indices at 0.
    /// </summary>
    public static BackRing<TRequest, TResponse> Attach(SharedMemoryFile memory, RingVariant variant) => Attach(memory, variant, 0);

    /// <summary><c>BACK_RING_ATTACH</c>: as <see cref="Attach(SharedMemoryFile, RingVariant)"/> with both private indices at <paramref name="startIndex"/>.</summary>
    public static BackRing<TRequest, TResponse> Attach(SharedMemoryFile memory, RingVariant variant, uint startIndex) =>
        new(memory, 0, RingVariantLayout.Geometry<TRequest, TResponse>(variant), startIndex);

    /// <summary>
    /// Re-attaches to a live ring of <paramref name="variant"/>'s layout after a back-end restart: starts at the
    /// published <c>rsp_prod</c> and rejects the ring if <c>req_prod - rsp_prod</c> exceeds its size.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The shared indices are impossible.</exception>
    public static BackRing<TRequest, TResponse> Reattach(SharedMemoryFile memory, RingVariant variant)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return Reattach(memory, RingVariantLayout.Geometry<TRequest, TResponse>(variant), nameof(variant), variant.ToString());
    }

    /// <summary><c>RING_SIZE</c>: the number of slots, a power of two.</summary>
    public int Size => (int)_view.Size;

    /// <summary><c>req_cons</c>: the index of the next request to consume.</summary>
    public uint RequestConsumer => _requestConsumer;

    /// <summary><c>rsp_prod_pvt</c>: the index of the next response slot to fill.</summary>
    public uint ResponseProducerPrivate => _responseProducerPrivate;

    /// <summary>Requests consumed and not yet answered: the responses that can be produced now.</summary>
    public int PendingResponses => (int)RingIndex.Distance(_responseProducerPrivate, _requestConsumer);

    /// <summary>
    /// <c>RING_HAS_UNCONSUMED_REQUESTS</c>: reads and checks the front's <c>req_prod</c>, and returns
    /// <c>min(req_prod - req_cons, RING_SIZE - (req_cons - rsp_prod_pvt))</c>.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The front published an impossible <c>req_prod</c>.</exception>
    public int UnconsumedRequests
    {
        get
        {
            ThrowIfDisposed();
            RefreshRequestProducer();
            return (int)Available(_requestConsumer);
        }
    }

    /// <summary>
    /// Called with <see cref="IRingNotifier.Notify"/> when a publish finds that the front asked to be woken.
    /// Null (the default) means the front polls.
    /// </summary>
    public IRingNotifier? Notifier { get; set; }

    internal RingGeometry Geometry => _view.Geometry;

    /// <summary>
    /// <c>RING_COPY_REQUEST</c>: one read of the shared slot for <paramref name="index"/> into a private copy.
    /// Validate the copy, never the slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TRequest CopyRequest(uint index)
    {
        ThrowIfDisposed();
        return Unsafe.ReadUnaligned<TRequest>(RequestSlot(index));
    }

    /// <summary>
    /// Copies the next request out of the ring and advances <c>req_cons</c>; false when none waits or when
    /// every response slot is taken (answer some first).
    /// </summary>
    /// <exception cref="PvRingProtocolException">The front published an impossible <c>req_prod</c>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryConsumeRequest(out TRequest request)
    {
        ThrowIfDisposed();
        uint consumer = _requestConsumer;
        if ((consumer == _requestProducerSeen && !RefreshRequestProducer())
            || RingIndex.ConsumerOverflows(consumer, _responseProducerPrivate, _view.Size))
        {
            request = default;
            return false;
        }

        request = Unsafe.ReadUnaligned<TRequest>(RequestSlot(consumer));
        _requestConsumer = consumer + 1;
        _counters.OnConsume(1);
        return true;
    }

    /// <summary>
    /// Copies the next request out of the ring, validates the copy with <paramref name="validator"/> and
    /// advances <c>req_cons</c>; false when none waits.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The request does not validate (the message says why) or
    /// <c>req_prod</c> is impossible. The bad request has been consumed.</exception>
    public bool TryConsumeRequest<TValidator>(TValidator validator, out TRequest request)
        where TValidator : struct, IRequestValidator<TRequest>
    {
        if (!TryConsumeRequest(out request))
        {
            return false;
        }

        string? problem = validator.Validate(in request);
        if (problem is not null)
        {
            ThrowHelper.ThrowInvalidRequest(_requestConsumer - 1, problem);
        }

        return true;
    }

    /// <summary>
    /// Copies up to <c>destination.Length</c> waiting requests out of the ring (never more than there are free
    /// response slots), advances <c>req_cons</c> past them and returns how many were copied.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The front published an impossible <c>req_prod</c>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ConsumeRequests(Span<TRequest> destination) => _slotLayout switch
    {
        SlotLayoutKind.ConstantUnion => ConsumeRequestsCore<ConstantUnionSlots<TRequest, TResponse>>(destination),
        SlotLayoutKind.ConstantSplit => ConsumeRequestsCore<ConstantSplitSlots<TRequest, TResponse>>(destination),
        SlotLayoutKind.AlignedUnionNetwork => ConsumeRequestsCore<AlignedUnionSlots<TRequest, TResponse, NetworkSlotAlignment>>(destination),
        SlotLayoutKind.AlignedUnionBlock => ConsumeRequestsCore<AlignedUnionSlots<TRequest, TResponse, BlockSlotAlignment>>(destination),
        SlotLayoutKind.AlignedSplitNetwork => ConsumeRequestsCore<AlignedSplitSlots<TRequest, TResponse, NetworkSlotAlignment>>(destination),
        SlotLayoutKind.AlignedSplitBlock => ConsumeRequestsCore<AlignedSplitSlots<TRequest, TResponse, BlockSlotAlignment>>(destination),
        _ => ConsumeRequestsCore<GeometrySlots>(destination),
    };

    /// <summary>
    /// The back end's service loop in one call: for each waiting request (at most <paramref name="maxCount"/>,
    /// never more than the free response space), copies it out of its slot (<c>RING_COPY_REQUEST</c>), asks
    /// <paramref name="handler"/> for the response, and writes the response into the request's slot; then
    /// publishes all the responses at once (<c>RING_PUSH_RESPONSES_AND_CHECK_NOTIFY</c>, calling the
    /// <see cref="Notifier"/> if the front asked). Returns how many requests were served.
    /// </summary>
    /// <remarks>
    /// Each request is copied out before its response is written, so a response may share the request's slot
    /// (the classic ring). A request the handler refuses stops the loop and stays unconsumed; the count tells
    /// the caller it stopped early (fewer served than <see cref="UnconsumedRequests"/> offered).
    /// </remarks>
    /// <exception cref="PvRingProtocolException">The front published an impossible <c>req_prod</c>.</exception>
    /// <exception cref="InvalidOperationException">Requests consumed earlier still wait for their responses.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ServeRequests<THandler>(ref THandler handler, int maxCount)
        where THandler : struct, IRequestHandler<TRequest, TResponse> => _slotLayout switch
        {
            SlotLayoutKind.ConstantUnion => ServeRequestsCore<THandler, ConstantUnionSlots<TRequest, TResponse>>(ref handler, maxCount),
            SlotLayoutKind.ConstantSplit => ServeRequestsCore<THandler, ConstantSplitSlots<TRequest, TResponse>>(ref handler, maxCount),
            SlotLayoutKind.AlignedUnionNetwork => ServeRequestsCore<THandler, AlignedUnionSlots<TRequest, TResponse, NetworkSlotAlignment>>(ref handler, maxCount),
            SlotLayoutKind.AlignedUnionBlock => ServeRequestsCore<THandler, AlignedUnionSlots<TRequest, TResponse, BlockSlotAlignment>>(ref handler, maxCount),
            SlotLayoutKind.AlignedSplitNetwork => ServeRequestsCore<THandler, AlignedSplitSlots<TRequest, TResponse, NetworkSlotAlignment>>(ref handler, maxCount),
            SlotLayoutKind.AlignedSplitBlock => ServeRequestsCore<THandler, AlignedSplitSlots<TRequest, TResponse, BlockSlotAlignment>>(ref handler, maxCount),
            _ => ServeRequestsCore<THandler, GeometrySlots>(ref handler, maxCount),
        };

    /// <summary>
    /// The whole request slot for <paramref name="index"/> as bytes, in shared memory: the entry first, then the
    /// stride's padding, which a protocol may fill with a small payload (the inline direction of
    /// <see cref="RingSlotKind.InlineRequests"/>/<see cref="RingSlotKind.InlineResponses"/> rings has 128-byte slots). The peer may change them at any time: copy what you use, then check the copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> GetRequestSlotBytes(uint index)
    {
        ThrowIfDisposed();
        return new ReadOnlySpan<byte>(RequestSlot(index), (int)_view.RequestStride);
    }

    /// <summary>
    /// The whole response slot for <paramref name="index"/> as bytes, in shared memory. Write a payload into its padding
    /// before the entry's push publishes the slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetResponseSlotBytes(uint index)
    {
        ThrowIfDisposed();
        return new Span<byte>(ResponseSlot(index), (int)_view.ResponseStride);
    }

    /// <summary>
    /// <c>RING_GET_RESPONSE</c>: the response slot for <paramref name="index"/>, in shared memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TResponse GetResponse(uint index)
    {
        ThrowIfDisposed();
        return ref Unsafe.AsRef<TResponse>(ResponseSlot(index));
    }

    /// <summary>
    /// Writes <paramref name="response"/> (the whole struct: no stale bytes, XSA-216) into the next response slot
    /// and advances <c>rsp_prod_pvt</c>. The front sees it after the next push.
    /// </summary>
    /// <exception cref="InvalidOperationException">No consumed request is waiting for a response.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ProduceResponse(in TResponse response)
    {
        ThrowIfDisposed();
        uint index = _responseProducerPrivate;
        if (index == _requestConsumer)
        {
            ThrowHelper.ThrowNoPendingRequest(index, _requestConsumer);
        }

        Unsafe.WriteUnaligned(ResponseSlot(index), response);
        _responseProducerPrivate = index + 1;
    }

    /// <summary>
    /// Claims up to <paramref name="maxCount"/> response slots for requests already consumed (fewer if fewer
    /// are pending). Fill them through the batch's indexer; disposing the batch publishes them all at once
    /// and, if the front asked to be woken, calls the <see cref="Notifier"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotBatch<TResponse> ClaimResponses(int maxCount)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        return new SlotBatch<TResponse>(this, _view.ResponseSlots, _view.ResponseStride, _view.Mask, _responseProducerPrivate, Math.Min(maxCount, PendingResponses));
    }

    /// <summary><c>RING_PUSH_RESPONSES</c>: publishes every response made so far.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PushResponses()
    {
        ThrowIfDisposed();

        StampResponses();

        // wmb(); rsp_prod = rsp_prod_pvt: the front sees the response slots before the index covering them.
        MemoryOrder.WriteRelease(_view.ResponseProducer, _responseProducerPrivate);
        _counters.OnPublish(full: false);
    }

    /// <summary>
    /// <c>RING_PUSH_RESPONSES_AND_CHECK_NOTIFY</c>: publishes every response made so far and returns whether
    /// the front asked to be woken for one of them. It does not call the notifier.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool PushResponsesAndCheckNotify()
    {
        ThrowIfDisposed();
        StampResponses();
        bool notify = SharedRingView.PublishAndCheckNotify(_view.ResponseProducer, _view.ResponseEvent, _responseProducerPrivate);
        _counters.OnPublish(full: false);
        return notify;
    }

    /// <summary>
    /// <c>RING_FINAL_CHECK_FOR_REQUESTS</c>: returns true if requests wait; otherwise arms <c>req_event</c>
    /// (wake me on the next request) and checks once more. False means sleeping is safe.
    /// </summary>
    /// <exception cref="PvRingProtocolException">The front published an impossible <c>req_prod</c>.</exception>
    public bool FinalCheckForRequests()
    {
        ThrowIfDisposed();
        RefreshRequestProducer();
        if (Available(_requestConsumer) != 0)
        {
            return true;
        }

        SharedRingView.ArmEvent(_view.RequestEvent, _requestConsumer + 1);
        RefreshRequestProducer();
        return Available(_requestConsumer) != 0;
    }

    /// <summary><c>RING_REQUEST_PROD_OVERFLOW</c>: whether <paramref name="producer"/> is an impossible <c>req_prod</c>.</summary>
    public bool IsRequestProducerOverflow(uint producer) => RingIndex.ProducerOverflows(producer, _responseProducerPrivate, _view.Size);

    /// <summary><c>RING_REQUEST_CONS_OVERFLOW</c>: whether <paramref name="consumer"/> has run past the free response space.</summary>
    public bool IsRequestConsumerOverflow(uint consumer) => RingIndex.ConsumerOverflows(consumer, _responseProducerPrivate, _view.Size);

    /// <summary>
    /// Throws a <see cref="PvRingException"/> if a named file under the ring was truncated (by the peer): a slow-path
    /// check for any loop that sleeps between reads of the ring (<c>PvRing.Events.RingWaiter</c> and the net queues' waits
    /// run it after each sleep). One <c>fstat</c> for a ring file; the granter's arena, grant table and flush pages for a ring mapped from grants (<c>PvRing.Grants.ForeignRing</c>); nothing to do for sealed memory. A truncated file
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

    /// <summary>Advances <c>rsp_prod_pvt</c> over a claimed batch, publishes it and notifies if asked to.</summary>
    // Called once per batch through the interface: left to tiering it ran as Tier0 code (no inlining of the publish and
    // its fence helpers) for most of a benchmark run, as the JIT's compile log showed; compile it optimised at once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    bool IBatchPublisher.PublishBatch(uint start, int count)
    {
        ThrowIfDisposed();
        if (_responseProducerPrivate != start)
        {
            ThrowHelper.ThrowBatchOverlap("rsp_prod_pvt", start, _responseProducerPrivate);
        }

        _responseProducerPrivate = start + (uint)count;
        bool notify = count != 0 && PushResponsesAndCheckNotify();
        if (notify)
        {
            Notifier?.Notify();
        }

        return notify;
    }

    // The batch loops, one compiled per slot layout (ISlotLayout): fully optimised at once, because with tiered
    // compilation a loop called once per batch can run for a long time in unoptimised code before it is promoted.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ConsumeRequestsCore<TSlots>(Span<TRequest> destination)
        where TSlots : struct, ISlotLayout
    {
        ThrowIfDisposed();
        uint consumer = _requestConsumer;
        if (consumer == _requestProducerSeen && !RefreshRequestProducer())
        {
            return 0;
        }

        int count = (int)Math.Min((uint)destination.Length, Available(consumer));
        destination = destination[..count];
        byte* slots = _view.RequestSlots;
        uint mask = _view.Mask;
        nuint stride = TSlots.RequestStride(in _view);
        for (int i = 0; i < destination.Length; i++)
        {
            // RING_COPY_REQUEST: one read of each slot, into the caller's private buffer.
            destination[i] = Unsafe.ReadUnaligned<TRequest>(slots + (((consumer + (uint)i) & mask) * stride));
        }

        _requestConsumer = consumer + (uint)count;
        _counters.OnConsume((uint)count);
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ServeRequestsCore<THandler, TSlots>(ref THandler handler, int maxCount)
        where THandler : struct, IRequestHandler<TRequest, TResponse>
        where TSlots : struct, ISlotLayout
    {
        ThrowIfDisposed();
        uint consumer = _requestConsumer;
        if (consumer == _requestProducerSeen && !RefreshRequestProducer())
        {
            return 0;
        }

        if (_responseProducerPrivate != consumer)
        {
            // Responses go into the slots of the requests they answer, so earlier requests must be answered first.
            ThrowHelper.ThrowRequestsPending(consumer, _responseProducerPrivate);
        }

        uint count = Math.Min((uint)Math.Max(maxCount, 0), Available(consumer));
        byte* requests = _view.RequestSlots;
        byte* responses = TSlots.ResponseSlots(in _view);
        uint mask = _view.Mask;
        nuint requestStride = TSlots.RequestStride(in _view);
        nuint responseStride = TSlots.ResponseStride(in _view);
        uint served = 0;
        for (; served < count; served++)
        {
            nuint slot = (consumer + served) & mask;

            // RING_COPY_REQUEST: one read of the shared slot; the handler only sees the private copy.
            TRequest request = Unsafe.ReadUnaligned<TRequest>(requests + (slot * requestStride));
            if (!handler.TryHandle(in request, out TResponse response))
            {
                break;
            }

            // Response slot i answers request slot i: the same slot with one union array, the same index in the
            // response array (with its own stride) with split rings.
            Unsafe.WriteUnaligned(responses + (slot * responseStride), response);
        }

        if (served != 0)
        {
            _requestConsumer = consumer + served;
            _responseProducerPrivate = consumer + served;
            _counters.OnConsume(served);
            if (PushResponsesAndCheckNotify())
            {
                Notifier?.Notify();
            }
        }

        return (int)served;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* ResponseSlot(uint index) => _view.ResponseSlot(index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* RequestSlot(uint index) => _view.RequestSlot(index);

    /// <summary>Requests that may be consumed from <paramref name="consumer"/>: published, and with a free response slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Available(uint consumer) =>
        Math.Min(RingIndex.Distance(consumer, _requestProducerSeen), _view.Size - RingIndex.Distance(_responseProducerPrivate, consumer));

    /// <summary>Re-reads <c>req_prod</c>, validates it, and returns whether requests wait.</summary>
    // Inlined for the reason given at FrontRing's RefreshResponseProducer: it runs once per batch when streaming.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool RefreshRequestProducer()
    {
        // Stamped slots: the next slot's own line says whether the front got there (and the slots after it, up to a ring's
        // worth past the responses made); the index is read only when it does not.
        if (_view.TakeRequestStamps(ref _requestProducerSeen, _responseProducerPrivate + _view.Size))
        {
            return true;
        }

        // Stamped requests taken and not yet consumed: the index is read when they are (see FrontRing's RefreshResponseProducer).
        if (_view.RequestStampOffset >= 0 && _requestProducerSeen != _requestConsumer)
        {
            return true;
        }

        // req_prod, then rmb(): the request slots up to it are read after the index.
        uint producer = MemoryOrder.ReadAcquire(_view.RequestProducer);
        if (RingIndex.ProducerOverflows(producer, _responseProducerPrivate, _view.Size)
            || RingIndex.ProducerOverflows(producer, _requestConsumer, _view.Size))
        {
            if (_view.RequestStampOffset >= 0 && RingIndex.Distance(producer, _requestConsumer) <= _view.Size)
            {
                // Behind the stamped slots already consumed: the front stamps its slots before it publishes the index over them.
                return false;
            }

            ThrowRequestProducerInvalid(producer);
        }

        // Here every stamped slot taken is consumed (see above), so the index is all there is to go on.
        _requestProducerSeen = producer;
        return producer != _requestConsumer;
    }

    /// <summary>With stamped response slots: stamps the slots this publish covers, before the index (see <see cref="RingVariantLayout.InlineStampOffset"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StampResponses() => _view.StampResponses(ref _responseStamped, _responseProducerPrivate);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowRequestProducerInvalid(uint producer) =>
        ThrowHelper.ThrowProtocol(
            $"The front published an impossible request producer: req_prod={producer}, req_cons={_requestConsumer}, " +
            $"rsp_prod_pvt={_responseProducerPrivate}, size={_view.Size} (RING_REQUEST_PROD_OVERFLOW).");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }
    }

    private static BackRing<TRequest, TResponse> Reattach(SharedMemoryFile memory, RingGeometry geometry, string parameter, string description)
    {
        if (geometry.Length > memory.Length)
        {
            throw new ArgumentOutOfRangeException(parameter, $"A ring of {description} does not fit the mapping (length={memory.Length}).");
        }

        byte* area = memory.Pointer;
        uint responses = MemoryOrder.ReadAcquire((uint*)(area + geometry.ResponseProducerOffset));
        uint requests = MemoryOrder.ReadAcquire((uint*)(area + geometry.RequestProducerOffset));
        if (RingIndex.ProducerOverflows(requests, responses, (uint)geometry.SlotCount))
        {
            ThrowHelper.ThrowProtocol($"Cannot re-attach: req_prod={requests}, rsp_prod={responses}, size={geometry.SlotCount}.");
        }

        return new BackRing<TRequest, TResponse>(memory, 0, geometry, responses);
    }
}
