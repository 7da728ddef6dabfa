// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Store;

/// <summary>An open transaction on the server: its snapshot and the changes whose watches fire at commit.</summary>
internal sealed class StoreTransaction(uint id, StoreTree snapshot)
{
    public uint Id { get; } = id;

    public StoreTree Snapshot { get; } = snapshot;

    public List<StoreChange> Changes { get; } = [];
}
