// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;

namespace PvRing.Tests.Rings.Variants;

/// <summary>The ring variant suite over SplitIndexes + SplitRings.</summary>
public sealed class SplitIndexesSplitRingsVariantTests : RingVariantSuite
{
    /// <inheritdoc/>
    protected override RingFeatures Features => RingFeatures.SplitIndexes | RingFeatures.SplitRings;
}
