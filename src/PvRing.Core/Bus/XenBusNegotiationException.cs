// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Bus;

/// <summary>
/// Negotiation failed: a side refused the other's values (and wrote an <c>error</c> node and went to
/// Closing), the peer closed, went away, or did not answer in time.
/// </summary>
public sealed class XenBusNegotiationException : PvRingException
{
    /// <summary>Creates the exception.</summary>
    public XenBusNegotiationException(string message)
        : base(message)
    {
    }

    /// <summary>
    /// Whether the negotiation was refused: one side found the other's keys invalid and wrote its <c>error</c> node (a
    /// protocol failure), as opposed to a timeout, a peer that went away, or the store closing.
    /// </summary>
    public bool IsRefused { get; init; }

    /// <summary>Creates the exception with its cause.</summary>
    public XenBusNegotiationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
