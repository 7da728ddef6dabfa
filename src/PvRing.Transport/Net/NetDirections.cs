// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Transport;

/// <summary>The rings of a net queue a pump serves: transmit (front to back), receive (back to front), or both.</summary>
[Flags]
public enum NetDirections
{
    /// <summary>Neither.</summary>
    None = 0,

    /// <summary>The transmit ring: packets from the front end to the back end.</summary>
    Transmit = 1,

    /// <summary>The receive ring: packets from the back end to the front end.</summary>
    Receive = 2,

    /// <summary>Both rings (they must share one event channel to be waited on together).</summary>
    Both = Transmit | Receive,
}
