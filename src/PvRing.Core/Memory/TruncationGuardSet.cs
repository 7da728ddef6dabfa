// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.ExceptionServices;

namespace PvRing.Memory;

/// <summary>
/// The size checks of every named file one domain's shared structures live in (a granter's arena and grant table, and
/// the flush pages opened against it), checked together after a sleep: a ring's pages, the grants its slots name and the
/// flush page a service loop reads are all read again once the waiter wakes. Empty for sealed memory.
/// </summary>
/// <remarks>
/// Design: the guards sit in an immutable array replaced under a lock when one is added or removed (rare: at open and
/// close), so <see cref="Check"/> reads one snapshot without locking. <see cref="Check"/> looks at every file before it
/// throws, so each truncated one gets its length back (see <see cref="TruncationGuard"/>), not only the first.
/// </remarks>
internal sealed class TruncationGuardSet : IDisposable
{
    private readonly object _lock = new();
    private TruncationGuard[] _guards = [];

    /// <summary>Adds <paramref name="guard"/> (null: nothing to check, sealed memory); the set disposes it.</summary>
    internal void Add(TruncationGuard? guard)
    {
        if (guard is null)
        {
            return;
        }

        lock (_lock)
        {
            _guards = [.. _guards, guard];
        }
    }

    /// <summary>Removes and disposes <paramref name="guard"/>, if it is in the set.</summary>
    internal void Remove(TruncationGuard? guard)
    {
        if (guard is null)
        {
            return;
        }

        lock (_lock)
        {
            _guards = [.. _guards.Where(g => g != guard)];
        }

        guard.Dispose();
    }

    /// <summary>Throws the first file's <see cref="PvRingException"/> when any of them was truncated.</summary>
    /// <exception cref="PvRingException">A file was truncated.</exception>
    internal void Check()
    {
        PvRingException? first = null;
        foreach (TruncationGuard guard in Volatile.Read(ref _guards))
        {
            try
            {
                guard.Check();
            }
            catch (PvRingException e)
            {
                first ??= e;
            }
        }

        if (first is not null)
        {
            ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>Disposes every guard; checks find nothing to look at afterwards.</summary>
    public void Dispose()
    {
        TruncationGuard[] guards;
        lock (_lock)
        {
            guards = _guards;
            _guards = [];
        }

        foreach (TruncationGuard guard in guards)
        {
            guard.Dispose();
        }
    }
}
