// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Bus;

/// <summary>
/// Xen's <c>enum xenbus_state</c> (<c>io/xenbus.h</c>): the value of a device's <c>state</c> key, written as
/// a decimal string.
/// </summary>
public enum XenbusState
{
    /// <summary>0: no state (the key is missing or the device is gone).</summary>
    Unknown = 0,

    /// <summary>1: the side is setting up.</summary>
    Initialising = 1,

    /// <summary>2: early initialisation done; waiting for the peer (a back end has published its features).</summary>
    InitWait = 2,

    /// <summary>3: transport parameters published (a front end has written its choices); waiting for the peer.</summary>
    Initialised = 3,

    /// <summary>4: connected.</summary>
    Connected = 4,

    /// <summary>5: shutting down, or refused the peer's parameters (then an <c>error</c> node says why).</summary>
    Closing = 5,

    /// <summary>6: closed.</summary>
    Closed = 6,

    /// <summary>7: reconfiguring.</summary>
    Reconfiguring = 7,

    /// <summary>8: reconfigured.</summary>
    Reconfigured = 8,
}
