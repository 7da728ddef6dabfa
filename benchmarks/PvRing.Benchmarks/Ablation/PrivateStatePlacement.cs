// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Benchmarks.Ablation;

/// <summary>Where the back's ring object lies relative to the front's in the ablation.</summary>
public enum PrivateStatePlacement
{
    /// <summary>Allocated right after the front's ring object, as two rings made one after the other are.</summary>
    Adjacent,

    /// <summary>A 128-byte filler between the two objects: their private indices are never on one line or line pair.</summary>
    Padded,
}
