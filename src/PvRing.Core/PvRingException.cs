// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing;

/// <summary>
/// The base class of every exception PvRing raises for a condition it detected itself: bad arguments
/// from the user, bad input from a peer or from the store, a peer that went away.
/// </summary>
public class PvRingException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public PvRingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public PvRingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
