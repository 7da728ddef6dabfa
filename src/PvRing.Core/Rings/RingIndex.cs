// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.CompilerServices;

namespace PvRing.Rings;

/// <summary>
/// Arithmetic on Xen's free-running 32-bit ring indices (<c>RING_IDX</c>), in one place. Indices are never
/// reset or masked when stored; they wrap modulo 2^32 and are masked only to address a slot. Differences
/// are taken as unsigned, which is exact across the wrap while the true distance is below 2^31 (the
/// ring keeps it at most <c>RING_SIZE</c>).
/// </summary>
internal static class RingIndex
{
    /// <summary>How many entries lie in [<paramref name="from"/>, <paramref name="to"/>): <c>to - from</c> mod 2^32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Distance(uint from, uint to) => unchecked(to - from);

    /// <summary>
    /// ring.h's notify rule: the peer asked to be woken when the producer passes <paramref name="eventIndex"/>,
    /// so a push from <paramref name="oldProducer"/> to <paramref name="newProducer"/> notifies exactly when
    /// the event index lies in (old, new]: <c>(new - event) &lt; (new - old)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool CrossesEvent(uint oldProducer, uint newProducer, uint eventIndex) =>
        unchecked(newProducer - eventIndex) < unchecked(newProducer - oldProducer);

    /// <summary>
    /// <c>RING_REQUEST_PROD_OVERFLOW</c> / <c>RING_RESPONSE_PROD_OVERFLOW</c>: true when a peer published a
    /// producer index more than <paramref name="size"/> ahead of <paramref name="base"/>, which no
    /// well-behaved peer can do.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ProducerOverflows(uint producer, uint @base, uint size) => unchecked(producer - @base) > size;

    /// <summary><c>RING_REQUEST_CONS_OVERFLOW</c>: <c>(cons - rsp_prod_pvt) &gt;= size</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ConsumerOverflows(uint consumer, uint responseProducer, uint size) =>
        unchecked(consumer - responseProducer) >= size;
}
