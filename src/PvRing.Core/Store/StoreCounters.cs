// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>
/// One store server's or client connection's counters, read by the "PvRing.Store" meter (<see cref="StoreMetrics"/>).
/// The store is not a hot path (each operation is a socket round trip), so every add is an <see cref="Interlocked"/> one.
/// </summary>
internal sealed class StoreCounters
{
    /// <summary>One slot per <c>xsd_sockmsg_type</c> (0 to 22); anything else counts in the last slot.</summary>
    internal const int OperationSlots = (int)XenStoreMessageType.DirectoryPart + 2;

    private readonly long[] _operations = new long[OperationSlots];
    private readonly long[] _errors = new long[OperationSlots];
    private long _watchEvents;
    private long _disconnects;

    public void OnOperation(XenStoreMessageType type) => Interlocked.Increment(ref _operations[Slot(type)]);

    public void OnError(XenStoreMessageType type) => Interlocked.Increment(ref _errors[Slot(type)]);

    public void OnWatchEvent() => Interlocked.Increment(ref _watchEvents);

    public void OnDisconnect() => Interlocked.Increment(ref _disconnects);

    public long Operations(int slot) => Volatile.Read(ref _operations[slot]);

    public long Errors(int slot) => Volatile.Read(ref _errors[slot]);

    public long WatchEvents => Volatile.Read(ref _watchEvents);

    public long Disconnects => Volatile.Read(ref _disconnects);

    /// <summary>The Xen name of the operation in <paramref name="slot"/> (<c>READ</c>, <c>TRANSACTION_START</c>...).</summary>
    public static string OperationName(int slot) => slot >= OperationSlots - 1 ? "OTHER" : OperationName((XenStoreMessageType)slot);

    public static string OperationName(XenStoreMessageType type) => type switch
    {
        XenStoreMessageType.GetPerms => "GET_PERMS",
        XenStoreMessageType.SetPerms => "SET_PERMS",
        XenStoreMessageType.TransactionStart => "TRANSACTION_START",
        XenStoreMessageType.TransactionEnd => "TRANSACTION_END",
        XenStoreMessageType.GetDomainPath => "GET_DOMAIN_PATH",
        XenStoreMessageType.IsDomainIntroduced => "IS_DOMAIN_INTRODUCED",
        XenStoreMessageType.WatchEvent => "WATCH_EVENT",
        XenStoreMessageType.SetTarget => "SET_TARGET",
        XenStoreMessageType.ResetWatches => "RESET_WATCHES",
        XenStoreMessageType.DirectoryPart => "DIRECTORY_PART",
        _ => type.ToString().ToUpperInvariant(),
    };

    private static int Slot(XenStoreMessageType type) => (uint)type < OperationSlots - 1 ? (int)type : OperationSlots - 1;
}
