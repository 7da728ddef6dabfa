// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Bus;

/// <summary>How a feature is offered and chosen.</summary>
public enum XenBusFeatureKind
{
    /// <summary>The back end offers "0" or "1"; the front end may choose "1" only if it was offered.</summary>
    Boolean,

    /// <summary>The back end offers a maximum; the front end chooses a number between the feature's minimum and that maximum.</summary>
    MaxNumber,
}
