// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing;

/// <summary>
/// The peer broke the protocol: it published an impossible index, wrote a request or response that does
/// not validate, or left shared memory in a state the protocol forbids. The message names the offending
/// values as <c>name=value</c> pairs. After this exception the connection must be considered broken
/// (as Linux back ends disable a vif that sends garbage); nothing was read past the shared area.
/// </summary>
public sealed class PvRingProtocolException : PvRingException
{
    /// <summary>Creates a protocol exception with a message.</summary>
    public PvRingProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates a protocol exception with a message and its cause.</summary>
    public PvRingProtocolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
