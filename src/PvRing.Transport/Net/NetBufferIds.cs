// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;
using PvRing.Events;
using PvRing.Grants;

namespace PvRing.Transport;

/// <summary>
/// One direction's buffer ids on the front end (Linux netfront's <c>tx_skb_freelist</c> and <c>grant_tx_ref</c>, or the
/// receive ids): one arena frame per id, the grant reference each id carries, its state, the free stack, and the ids
/// answered whose grant has not ended yet. With deferred unmap an answered id waits for a flush this direction asked for.
/// Used by one thread (the direction's pump); no locks.
/// </summary>
internal sealed class NetBufferIds
{
    private const byte Free = 0;
    private const byte InFlight = 1;
    private const byte Returned = 2;
    private const byte Held = 3;

    private readonly GrantDomain _grants;
    private readonly GrantUserCounters? _counters;
    private readonly int _back;
    private readonly NetGrantModes _mode;
    private readonly bool _readOnly;
    private readonly uint _firstFrame;
    private readonly uint[] _references;
    private readonly byte[] _state;
    private readonly int[] _free;
    private readonly int[] _returned;
    private readonly int _flushAt;
    private int _freeCount;
    private int _returnedCount;
    private uint _flushEpoch;
    private bool _flushOutstanding;

    /// <summary>
    /// Creates <paramref name="count"/> ids on frames from <paramref name="firstFrame"/>; persistent mode grants them all now.
    /// Grants issued and ended are counted in <paramref name="counters"/> (the queue's) where given.
    /// </summary>
    public NetBufferIds(GrantDomain grants, int back, NetGrantModes mode, uint firstFrame, int count, bool readOnly, int flushAt, GrantUserCounters? counters = null)
    {
        _grants = grants;
        _counters = counters;
        _back = back;
        _mode = mode;
        _readOnly = readOnly;
        _firstFrame = firstFrame;
        _references = new uint[count];
        _state = new byte[count];
        _free = new int[count];
        _returned = new int[count];
        _flushAt = flushAt;
        for (int id = count - 1; id >= 0; id--)
        {
            _free[_freeCount++] = id;
        }

        if (mode == NetGrantModes.Persistent)
        {
            // Granted once, writable both ways: the back's persistent mapper keeps one writable mapping per page.
            for (int id = 0; id < count; id++)
            {
                _references[id] = grants.GrantAccess(back, firstFrame + (uint)id, readOnly: false, counters);
            }
        }
    }

    /// <summary>Ids on the free stack.</summary>
    public int FreeCount => _freeCount;

    /// <summary>Ids answered and waiting for their grant to end (a flush, in deferred-unmap mode).</summary>
    public int ReturnedCount => _returnedCount;

    /// <summary>Flushes this direction requested.</summary>
    public long FlushesRequested { get; private set; }

    /// <summary>Whether returned ids can be reclaimed now (work for a waiting pump).</summary>
    public bool CanReclaim(DeferredUnmapFrontend? flush) =>
        _returnedCount > 0 && (flush is null || (_flushOutstanding && flush.IsFlushed(_flushEpoch)));

    /// <summary>The frame of <paramref name="id"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint FrameOf(int id) => _firstFrame + (uint)id;

    /// <summary>Takes a free id, marks it in flight and returns the reference a request must carry for it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Take(out uint reference)
    {
        int id = _free[--_freeCount];
        _state[id] = InFlight;
        uint frame = _firstFrame + (uint)id;
        reference = _mode switch
        {
            NetGrantModes.Persistent => _references[id],
            NetGrantModes.DirectMap => frame,
            _ => _references[id] = _grants.GrantAccess(_back, frame, _readOnly, _counters),
        };
        return id;
    }

    /// <summary>
    /// Takes a free id for a packet that travels inline in its ring slot (<c>feature-inline-data</c>): in flight as any, but no
    /// page is granted for it (persistent and direct-map references stay as they are; others become 0, which
    /// <see cref="Reclaim"/> does not end).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TakeInline()
    {
        int id = _free[--_freeCount];
        _state[id] = InFlight;
        if (_mode is not (NetGrantModes.Persistent or NetGrantModes.DirectMap))
        {
            _references[id] = 0;
        }

        return id;
    }

    /// <summary>Whether <paramref name="id"/> is in flight (an answer for it is valid).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsInFlight(int id) => (uint)id < (uint)_state.Length && _state[id] == InFlight;

    /// <summary>
    /// Records that the answer for an in-flight id arrived but its buffer is lent to the application: no further answer
    /// for it is valid, and it is not reclaimed until <see cref="Answered"/> is called when the application gives it back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Hold(int id) => _state[id] = Held;

    /// <summary>Records the answer for an in-flight (or held) id; <see cref="Reclaim"/> frees it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Answered(int id)
    {
        _state[id] = Returned;
        _returned[_returnedCount++] = id;
    }

    /// <summary>
    /// Returns the answered ids whose grants end now to the free stack. A grant the back still holds (deferred unmap
    /// before its flush, or a misbehaving back) stays pending and is tried again later. In deferred mode a flush is
    /// requested (and the back woken through <paramref name="notify"/>) when enough ids wait or few are free.
    /// </summary>
    /// <returns>How many ids came back to the free stack.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the receive path; not left at tier 0 in a process that never tiers up
    public int Reclaim(DeferredUnmapFrontend? flush, EventChannel notify, EventChannel? notifyAlso)
    {
        if (_returnedCount == 0)
        {
            return 0;
        }

        if (flush is not null)
        {
            if (_flushOutstanding && !flush.IsFlushed(_flushEpoch))
            {
                return 0;
            }

            _flushOutstanding = false;
        }

        int kept = 0;
        int freed = _freeCount;
        for (int i = 0; i < _returnedCount; i++)
        {
            int id = _returned[i];
            if (_mode is NetGrantModes.Persistent or NetGrantModes.DirectMap || _references[id] == 0 || _grants.TryEndAccess(_references[id], _counters))
            {
                _state[id] = Free;
                _free[_freeCount++] = id;
            }
            else
            {
                _returned[kept++] = id;
            }
        }

        _returnedCount = kept;
        if (flush is not null && kept > 0 && (kept >= _flushAt || _freeCount < NetPacketLimits.MaxSlots))
        {
            // RequestFlush is a full fence: every answer for these ids was consumed before the request, and the back
            // unmaps everything it queued before it publishes the epoch. Then wake its service loop.
            _flushEpoch = flush.RequestFlush();
            _flushOutstanding = true;
            FlushesRequested++;
            notify.Notify();
            notifyAlso?.Notify();
        }

        return _freeCount - freed;
    }

    /// <summary>
    /// Gives up every grant still held: those of answered ids (and persistent ones) end now or once the back has unmapped
    /// them (<see cref="GrantDomain.EndAccessWhenUnmapped"/>); those of ids still in flight, which the back may still read
    /// after an orderly close, only when the domain runs out of references (<see cref="GrantDomain.EndAccessLater"/>).
    /// </summary>
    public void EndAll()
    {
        if (_mode == NetGrantModes.DirectMap)
        {
            return;
        }

        for (int id = 0; id < _references.Length; id++)
        {
            if (_references[id] != 0 && (_mode == NetGrantModes.Persistent || _state[id] != Free))
            {
                // Not lost to a back end that closes after us: an answered id's grant ends now or once the back unmaps it;
                // one in flight the back may still serve after our close, so it ends only when this domain runs out of
                // references (by then the old device is long done), and another queue or device gets it back.
                if (_state[id] == InFlight)
                {
                    _grants.EndAccessLater(_references[id]);
                }
                else
                {
                    _grants.EndAccessWhenUnmapped(_references[id], _counters);
                }

                _references[id] = 0;
            }
        }
    }
}
