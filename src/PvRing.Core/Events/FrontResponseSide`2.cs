// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;

namespace PvRing.Events;

/// <summary>A front end as the consumer of responses.</summary>
internal readonly struct FrontResponseSide<TRequest, TResponse> : IRingConsumerSide
    where TRequest : unmanaged
    where TResponse : unmanaged
{
    private readonly FrontRing<TRequest, TResponse> _ring;

    public FrontResponseSide(FrontRing<TRequest, TResponse> ring) => _ring = ring;

    public bool HasWork() => _ring.UnconsumedResponses != 0;

    public void CheckIntact() => _ring.CheckIntact();

    public bool FinalCheck() => _ring.FinalCheckForResponses();
}
