// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>
/// Answers one request: what a back end's service loop does for each request it takes off the ring.
/// Implement it as a struct so <see cref="BackRing{TRequest, TResponse}.ServeRequests{THandler}"/> is
/// specialised for it and the call inlined.
/// </summary>
/// <typeparam name="TRequest">The request struct.</typeparam>
/// <typeparam name="TResponse">The response struct.</typeparam>
public interface IRequestHandler<TRequest, TResponse>
    where TRequest : unmanaged
    where TResponse : unmanaged
{
    /// <summary>
    /// Produces the response to <paramref name="request"/>, a private copy taken out of the shared slot (validate
    /// it here). Build the whole response (XSA-216: no stale bytes). Returning false refuses the request: the
    /// service loop stops before it, publishes the responses made so far, and leaves it unconsumed, so the
    /// caller can decide (typically: record why in the handler, then raise <see cref="PvRingProtocolException"/>).
    /// </summary>
    bool TryHandle(in TRequest request, out TResponse response);
}
