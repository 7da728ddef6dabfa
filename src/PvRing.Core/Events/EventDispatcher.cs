// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using System.Numerics;
using PvRing.Platform;

namespace PvRing.Events;

/// <summary>
/// The one thread per domain that completes asynchronous waits: Xen's upcall handler. It sleeps on the page's
/// dispatcher futex word; a sender that delivers to a port with an async waiter sets the selector bit and
/// <c>upcall_pending</c> and wakes it; it then scans only the selected pending words.
/// </summary>
internal sealed unsafe class EventDispatcher : IDisposable
{
    private const ulong ValidSelectorBits = (1UL << EventPageLayout.BitmapWords) - 1;

    private readonly EventDomain _domain;
    private readonly EventPage _page;
    private readonly object _startLock = new();
    private Thread? _thread;
    private PvRingException? _failure;
    private int _stopping;

    internal EventDispatcher(EventDomain domain, EventPage page)
    {
        _domain = domain;
        _page = page;
    }

    /// <summary>Why this dispatcher stopped serving async waits (the domain's page was truncated), or null while it serves them.</summary>
    internal PvRingException? Failure => Volatile.Read(ref _failure);

    internal void EnsureStarted()
    {
        if (Volatile.Read(ref _thread) is not null)
        {
            return;
        }

        lock (_startLock)
        {
            if (_thread is not null || Volatile.Read(ref _stopping) != 0)
            {
                return;
            }

            var thread = new Thread(Run) { IsBackground = true, Name = $"PvRing events dom{_domain.DomainId}" };
            thread.Start();
            Volatile.Write(ref _thread, thread);
        }
    }

    /// <summary>Wakes the dispatcher so it re-reads deadlines or notices it must stop.</summary>
    internal void Kick()
    {
        Interlocked.Increment(ref *_page.DispatcherFutex);
        PlatformServices.Futex.Wake(_page.DispatcherFutex, 1);
    }

    public void Dispose()
    {
        Volatile.Write(ref _stopping, 1);
        Thread? thread;
        lock (_startLock)
        {
            thread = _thread;
        }

        if (thread is not null)
        {
            Kick();
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private void Run()
    {
        long peerInterval = _domain.PeerCheckTicks;
        long nextPeerCheck = Stopwatch.GetTimestamp() + peerInterval;
        while (Volatile.Read(ref _stopping) == 0)
        {
            // Clear the upcall flag before scanning (an exchange, a full barrier): a sender that delivers after
            // this sets it again, and the re-check before sleeping below sees it.
            Interlocked.Exchange(ref _page.UpcallPending, 0u);

            // The selector is written by peers: bits beyond the bitmap are ignored rather than trusted.
            ulong selector = Interlocked.Exchange(ref _page.PendingSelector, 0UL) & ValidSelectorBits;
            while (selector != 0)
            {
                int word = BitOperations.TrailingZeroCount(selector);
                selector &= selector - 1;
                ulong bits = Volatile.Read(ref _page.PendingWord(word)) & ~Volatile.Read(ref _page.MaskWord(word));
                for (; bits != 0; bits &= bits - 1)
                {
                    int port = (word * 64) + BitOperations.TrailingZeroCount(bits);
                    _domain.ChannelAt(port)?.DeliverAsync();
                }
            }

            long now = Stopwatch.GetTimestamp();
            bool checkPeers = now >= nextPeerCheck;
            if (checkPeers)
            {
                nextPeerCheck = now + peerInterval;
            }

            long wakeAt = nextPeerCheck;
            foreach (EventChannel channel in _domain.ChannelsSnapshot)
            {
                wakeAt = Math.Min(wakeAt, channel.SweepAsync(now, checkPeers));
            }

            int milliseconds = (int)Math.Clamp(((wakeAt - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency) + 1, 1, int.MaxValue);

            // Announce the sleeper, read the word, fence, re-check the upcall flag: a sender that raised the upcall
            // after our re-check sees the sleeper and bumps the word, so the wait below cannot miss it.
            Interlocked.Increment(ref _page.DispatcherSleepers);
            uint sequence = Volatile.Read(ref *_page.DispatcherFutex);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _page.UpcallPending) == 0 && Volatile.Read(ref _stopping) == 0)
            {
                try
                {
                    PlatformServices.Futex.Wait(_page.DispatcherFutex, sequence, milliseconds);
                }
                catch (PvRingException)
                {
                    // A FUTEX_WAIT on a page whose file is gone fails (EFAULT): if that is why, the check ended the waits.
                    if (!IsPageIntactAfterSleep())
                    {
                        return;
                    }

                    throw;
                }
            }

            if (!IsPageIntactAfterSleep())
            {
                return;
            }

            Interlocked.Decrement(ref _page.DispatcherSleepers);
        }
    }

    /// <summary>
    /// After each sleep, before the page is read again: a page (a named file in ring-file and store modes) that a peer
    /// truncated meanwhile would be a SIGBUS on this thread, which ends the process. Instead every armed async wait of the
    /// domain ends with the clear <see cref="PvRingException"/>, later ones fail at once with it (<see cref="Failure"/>),
    /// and this thread stops: it never reads the page again. Returns whether the page was intact.
    /// </summary>
    private bool IsPageIntactAfterSleep()
    {
        try
        {
            _page.CheckIntact();
            return true;
        }
        catch (PvRingException e)
        {
            Volatile.Write(ref _failure, e);
            foreach (EventChannel channel in _domain.ChannelsSnapshot)
            {
                channel.FailAsync(e);
            }

            return false;
        }
    }
}
