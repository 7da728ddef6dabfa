// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// Takes one response: what a front end's completion loop does for each response it takes off the ring.
/// Implement it as a struct so <see cref="FrontRing{TRequest, TResponse}.ConsumeResponses{TConsumer}"/> is
/// specialised for it and the call inlined.
/// </summary>
/// <typeparam name="TResponse">The response struct.</typeparam>
public interface IResponseConsumer<TResponse>
    where TResponse : unmanaged
{
    /// <summary>
    /// Takes <paramref name="response"/>, a private copy taken out of the shared slot (validate it here: the back
    /// is untrusted too). Returning false refuses it: the loop stops before it and leaves it unconsumed, so the
    /// caller can decide (typically: record why in the consumer, then raise <see cref="PvRingProtocolException"/>).
    /// </summary>
    bool TryConsume(in TResponse response);
}
