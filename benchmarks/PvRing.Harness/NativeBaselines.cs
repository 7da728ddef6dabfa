// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;

namespace PvRing.Harness;

/// <summary>
/// The matrix's C baselines that the C peer does not provide (benchmarks/PvRing.Harness/Native/baselines.c, gcc -O2):
/// one request outstanding through a classic ring on Xen's ring.h, a single-producer single-consumer byte ring, and
/// memcpy bandwidth. Each call runs the program once and returns its figure.
/// </summary>
internal static class NativeBaselines
{
    private static readonly NativeProgram s_program = new(Path.Combine("benchmarks", "PvRing.Harness", "Native", "baselines.c"));

    /// <summary>Mean round trip (ns) of one netif TX request outstanding at a time, front on <paramref name="a"/>, back on <paramref name="b"/>.</summary>
    public static double XenRingRoundTripNanoseconds(int a, int b, long iterations) =>
        s_program.Result("roundtrip_ns", "xenring-pingpong", Text(a), Text(b), Text(iterations));

    /// <summary>Messages/s of <paramref name="size"/>-byte messages through the C byte ring, producer on <paramref name="a"/>.</summary>
    public static double ByteRingMessagesPerSecond(int a, int b, int size, long count) =>
        s_program.Result("messages_per_second", "bytering", Text(a), Text(b), Text(size), Text(count));

    /// <summary>GB/s of <paramref name="size"/>-byte memcpy between two cache-resident buffers on <paramref name="cpu"/>.</summary>
    public static double MemcpyGigabytesPerSecond(int cpu, int size, long totalBytes) =>
        s_program.Result("gigabytes_per_second", "memcpy", Text(cpu), Text(size), Text(totalBytes));

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
