// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.InteropServices;
using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Conformance;

/// <summary>
/// The C conformance peer, written only with Xen's own ring.h/netif.h macros, against the C# samples in both
/// roles and ring orders 0..4: a C front (SHARED_RING_INIT/FRONT_RING_INIT) served by PvRing.Rx, and
/// PvRing.Tx served by a C back (BACK_RING_INIT/RING_COPY_REQUEST). Each side checks every request or response.
/// </summary>
public sealed class CPeerConformanceTests
{
    private const int Count = 200_000;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);

    public static TheoryData<int> Orders() => new() { 0, 1, 2, 3, 4 };

    [Theory]
    [MemberData(nameof(Orders))]
    public void CFront_ServedByCSharpRx_EveryResponseInOrder(int order)
    {
        using var host = new TempHost();
        string ring = host.FilePath("ring");
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--attach", ring, "--count", Count.ToString(), "--timeout", "60");
        using ChildProcess front = ChildProcess.Start(NativeTools.RingPeer, "front", ring, order.ToString(), Count.ToString(), "--timeout", "60");

        front.AssertExit(0, s_timeout);
        rx.AssertExit(0, s_timeout);
        Assert.Contains($"served {Count:N0} requests", rx.Output);
        Assert.Contains($"({256 << order} slots)", rx.Output);
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public void CSharpTx_ServedByCBack_EveryResponseInOrder(int order)
    {
        using var host = new TempHost();
        string ring = host.FilePath("ring");
        using ChildProcess back = ChildProcess.Start(NativeTools.RingPeer, "back", ring, Count.ToString(), "--timeout", "60");
        using ChildProcess tx = ChildProcess.StartDotnet("PvRing.Tx", "--create", ring, "--order", order.ToString(), "--count", Count.ToString(), "--timeout", "60");

        tx.AssertExit(0, s_timeout);
        back.AssertExit(0, s_timeout);
        Assert.Contains("answered once, in order, OKAY", tx.Output);
        Assert.False(File.Exists(ring), "Tx removes its ring file when done");
    }

    [Fact]
    public void CSharpRx_HostileFrontPublishesImpossibleIndex_ExitsWithProtocolError()
    {
        using var host = new TempHost();
        string ring = host.FilePath("ring");
        using ChildProcess rx = ChildProcess.StartDotnet("PvRing.Rx", "--attach", ring, "--count", "10", "--timeout", "60");
        using (PvRing.Memory.SharedMemoryFile memory = host.Host.CreateFile("ring", 4096))
        {
            // A classic header whose req_prod claims 1000 requests in a 256-slot ring.
            Span<uint> header = MemoryMarshal.Cast<byte, uint>(memory.GetSpan(0, 16));
            header[1] = 1;
            header[3] = 1;
            Volatile.Write(ref header[0], 1000u);
        }

        rx.AssertExit(1, s_timeout);
        Assert.Contains("impossible request producer", rx.Output);
    }
}
