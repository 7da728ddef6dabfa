// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;

namespace PvRing.Tests.Rings.Variants;

/// <summary>The ring variant suite over SplitRings.</summary>
public sealed class SplitRingsVariantTests : RingVariantSuite
{
    /// <inheritdoc/>
    protected override RingFeatures Features => RingFeatures.SplitRings;
}
