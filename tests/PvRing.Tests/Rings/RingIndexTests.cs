// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;

namespace PvRing.Tests.Rings;

/// <summary>Free-running index arithmetic, above all across the 2^32 wrap.</summary>
public sealed class RingIndexTests
{
    [Theory]
    [InlineData(0u, 0u, 0u)]
    [InlineData(5u, 9u, 4u)]
    [InlineData(uint.MaxValue - 2, 5u, 8u)]
    [InlineData(uint.MaxValue, 0u, 1u)]
    public void Distance_AcrossWrap_IsExact(uint from, uint to, uint expected) =>
        Assert.Equal(expected, RingIndex.Distance(from, to));

    [Theory]
    [InlineData(0u, 1u, 1u, true)] // SHARED_RING_INIT sets event = 1: the first message always notifies
    [InlineData(1u, 5u, 1u, false)] // event already passed
    [InlineData(1u, 5u, 5u, true)]
    [InlineData(1u, 5u, 6u, false)] // not reached yet
    [InlineData(uint.MaxValue - 1, 2u, uint.MaxValue, true)]
    [InlineData(uint.MaxValue - 1, 2u, 0u, true)]
    [InlineData(uint.MaxValue - 1, 2u, 3u, false)]
    [InlineData(uint.MaxValue - 1, 2u, uint.MaxValue - 1, false)]
    public void CrossesEvent_EventInHalfOpenRange_Notifies(uint oldProducer, uint newProducer, uint eventIndex, bool expected) =>
        Assert.Equal(expected, RingIndex.CrossesEvent(oldProducer, newProducer, eventIndex));

    [Theory]
    [InlineData(256u, 0u, 256u, false)]
    [InlineData(257u, 0u, 256u, true)]
    [InlineData(100u, uint.MaxValue - 155, 256u, false)]
    [InlineData(101u, uint.MaxValue - 155, 256u, true)]
    [InlineData(uint.MaxValue, 0u, 256u, true)] // a producer "behind" the base is a huge distance
    public void ProducerOverflows_MoreThanSizeAhead_IsOverflow(uint producer, uint @base, uint size, bool expected) =>
        Assert.Equal(expected, RingIndex.ProducerOverflows(producer, @base, size));

    [Theory]
    [InlineData(255u, 0u, 256u, false)]
    [InlineData(256u, 0u, 256u, true)]
    [InlineData(5u, uint.MaxValue - 250, 256u, true)]
    [InlineData(4u, uint.MaxValue - 250, 256u, false)]
    public void ConsumerOverflows_NoFreeResponseSlot_IsOverflow(uint consumer, uint responseProducer, uint size, bool expected) =>
        Assert.Equal(expected, RingIndex.ConsumerOverflows(consumer, responseProducer, size));
}
