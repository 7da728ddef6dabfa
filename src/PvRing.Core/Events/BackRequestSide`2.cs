// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;

namespace PvRing.Events;

/// <summary>A back end as the consumer of requests.</summary>
internal readonly struct BackRequestSide<TRequest, TResponse> : IRingConsumerSide
    where TRequest : unmanaged
    where TResponse : unmanaged
{
    private readonly BackRing<TRequest, TResponse> _ring;

    public BackRequestSide(BackRing<TRequest, TResponse> ring) => _ring = ring;

    public bool HasWork() => _ring.UnconsumedRequests != 0;

    public void CheckIntact() => _ring.CheckIntact();

    public bool FinalCheck() => _ring.FinalCheckForRequests();
}
