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

    /// <summary>Creates the exception with its cause.</summary>
    public XenBusNegotiationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
