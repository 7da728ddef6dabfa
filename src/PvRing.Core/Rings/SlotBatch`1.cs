// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Rings;

/// <summary>
/// Slots claimed from a ring for producing: requests from <see cref="FrontRing{TRequest, TResponse}.ClaimRequests"/>
/// or responses (to requests already consumed) from <see cref="BackRing{TRequest, TResponse}.ClaimResponses"/>.
/// Fill them, then dispose the batch (a <c>using</c> block) to publish them all with one index store, notifying
/// the peer if it asked (<c>RING_PUSH_*_AND_CHECK_NOTIFY</c>).
/// </summary>
/// <typeparam name="TSlot">The request or response struct.</typeparam>
/// <remarks>
/// A batch cannot forget to publish: <see cref="Dispose"/> publishes if <see cref="Publish"/> was not called.
/// Slots are written in shared memory directly; assign whole structs (<c>batch[i] = new NetifTxRequest { ... }</c>)
/// so that no stale bytes remain in a slot (XSA-216).
/// </remarks>
public ref struct SlotBatch<TSlot>
    where TSlot : unmanaged
{
    private readonly IBatchPublisher _ring;
    private readonly unsafe byte* _slots;
    private readonly nuint _stride;
    private readonly uint _mask;
    private readonly uint _start;
    private readonly int _count;
    private bool _published;

    internal unsafe SlotBatch(IBatchPublisher ring, byte* slots, nuint stride, uint mask, uint start, int count)
    {
        _ring = ring;
        _slots = slots;
        _stride = stride;
        _mask = mask;
        _start = start;
        _count = count;
        _published = false;
    }

    /// <summary>The number of slots claimed; may be 0 (a full ring, or no request waiting for its response).</summary>
    public readonly int Count => _count;

    /// <summary>The ring index of the first claimed slot.</summary>
    public readonly uint FirstIndex => _start;

    /// <summary>The <paramref name="i"/>-th claimed slot (0 ≤ i &lt; <see cref="Count"/>).</summary>
    public readonly unsafe ref TSlot this[int i]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)i >= (uint)_count)
            {
                ThrowHelper.ThrowBatchIndexOutOfRange(i, _count);
            }

            // The slot address is computed from the scope's own copy of the geometry, so a loop over the
            // batch keeps it in registers instead of reloading the ring's fields after every slot store.
            return ref Unsafe.AsRef<TSlot>(_slots + (((_start + (uint)i) & _mask) * _stride));
        }
    }

    /// <summary>
    /// Publishes the claimed slots and, if the peer asked to be woken, calls the ring's notifier. Returns whether
    /// a notification was needed. Later calls do nothing.
    /// </summary>
    public bool Publish()
    {
        if (_published)
        {
            return false;
        }

        _published = true;
        return _ring.PublishBatch(_start, _count);
    }

    /// <summary>Publishes the batch if <see cref="Publish"/> has not been called.</summary>
    public void Dispose() => Publish();
}
