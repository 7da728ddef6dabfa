// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using PvRing.Tests.Infrastructure;
using PvRing.Memory;
using PvRing.Platform;

namespace PvRing.Tests.Memory;

/// <summary>
/// The sealed-memory exchange against a hostile peer speaking its wire by hand: descriptors that are not sealed, of the
/// wrong size or not memfds are refused with a clear error and never mapped; names of another domain, strangers and
/// impostors are refused; a name that never comes fails within the bound.
/// </summary>
public sealed class SealedMemoryExchangeTests
{
    private const int Page = 4096;

    public enum BadDescriptor
    {
        NotSealable,
        SealedAgainstShrinkOnly,
        NoGrowSeal,
        NotSealedShut,
        WriteSealed,
        AnnouncedSizeDiffers,
        RegularFileNotMemfd,
        SocketNotFile,
        TooLarge,
    }

    [Theory]
    [InlineData(BadDescriptor.NotSealable, "not sealed against resizing")]
    [InlineData(BadDescriptor.SealedAgainstShrinkOnly, "not sealed against resizing")]
    [InlineData(BadDescriptor.NoGrowSeal, "not sealed against resizing")]
    [InlineData(BadDescriptor.NotSealedShut, "not sealed against resizing")]
    [InlineData(BadDescriptor.WriteSealed, "sealed against writing")]
    [InlineData(BadDescriptor.AnnouncedSizeDiffers, "size is not the one announced")]
    [InlineData(BadDescriptor.RegularFileNotMemfd, "not a memfd")]
    [InlineData(BadDescriptor.SocketNotFile, "not a regular file")]
    [InlineData(BadDescriptor.TooLarge, "larger than any PvRing memory")]
    public void Offer_BadDescriptor_RefusedClearlyAndNothingMapped(BadDescriptor kind, string reason)
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        using RawPeer peer = RawPeer.Welcomed(memory, host);
        string tag = $"pvring-hostile-{Guid.NewGuid():N}";
        using SafeFileHandle bad = Make(kind, tag, host, peer);

        long announced = kind switch
        {
            BadDescriptor.AnnouncedSizeDiffers => 2 * Page,
            BadDescriptor.TooLarge => SealedMemory.MaxLength + Page,
            _ => Page,
        };
        peer.Offer(1, "arena-1", announced, bad);

        (byte type, string text) = peer.Read();
        Assert.Equal(SealedMemory.RefuseType, type);
        Assert.Contains(reason, text, StringComparison.Ordinal);
        Assert.Contains("name=arena-1", text, StringComparison.Ordinal);
        PvRingException e = Assert.Throws<PvRingException>(() => memory.Open("arena-1", Page));
        Assert.Contains("refused: name=arena-1", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(tag, File.ReadAllText("/proc/self/maps"), StringComparison.Ordinal);
        Assert.False(memory.Contains("arena-1"));
    }

    [Fact]
    public void Open_SizeTheLayoutDoesNotExpect_RefusedAndNothingMapped()
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        using RawPeer peer = RawPeer.Welcomed(memory, host);
        string tag = $"pvring-hostile-{Guid.NewGuid():N}";
        using SafeFileHandle sealedTwoPages = CreateMemfd(tag, 2 * Page, LinuxInterop.SealShrink | LinuxInterop.SealGrow | LinuxInterop.SealSeal);
        peer.Offer(1, "evtchn-1", 2 * Page, sealedTwoPages);

        Assert.True(SpinWait.SpinUntil(() => memory.Contains("evtchn-1"), TimeSpan.FromSeconds(10)));
        PvRingException e = Assert.Throws<PvRingException>(() => memory.Open("evtchn-1", Page));
        Assert.Contains("wrong size: name=evtchn-1, length=8192, expected=4096", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(tag, File.ReadAllText("/proc/self/maps"), StringComparison.Ordinal);
    }

    [Fact]
    public void Offer_SealedMemfd_MapsAndNobodyCanResizeIt()
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        using RawPeer peer = RawPeer.Welcomed(memory, host);
        using SafeFileHandle good = CreateMemfd("pvring-good", Page, LinuxInterop.SealShrink | LinuxInterop.SealGrow | LinuxInterop.SealSeal);
        peer.Offer(1, "gnttab-1", Page, good);

        using SharedMemoryFile mapped = memory.Open("gnttab-1", Page);
        mapped.GetSpan(0, 4).Fill(0x5A);
        var seen = new byte[4];
        Assert.Equal(4, RandomAccess.Read(good, seen, 0));
        Assert.Equal(new byte[] { 0x5A, 0x5A, 0x5A, 0x5A }, seen);
        int fd = (int)good.DangerousGetHandle();
        Assert.Equal(-1, LinuxInterop.Ftruncate(fd, 0));
        Assert.Equal(LinuxInterop.EPERM, Marshal.GetLastPInvokeError());
        Assert.Equal(-1, LinuxInterop.Ftruncate(fd, 2 * Page));
        Assert.Equal(LinuxInterop.EPERM, Marshal.GetLastPInvokeError());
    }

    [Theory]
    [InlineData("arena-2", "is not memory of domain 1")]
    [InlineData("gntflush-1-5", "is not memory of domain 1")]
    [InlineData("ring", "is not memory of domain 1")]
    [InlineData("arena-01", "is not memory of domain 1")]
    [InlineData("../arena-1", "path separator")]
    public void Offer_NameNotTheDomainsOwn_Refused(string name, string reason)
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        using RawPeer peer = RawPeer.Welcomed(memory, host);
        using SafeFileHandle good = CreateMemfd("pvring-good", Page, LinuxInterop.SealShrink | LinuxInterop.SealGrow | LinuxInterop.SealSeal);
        peer.Offer(1, name, Page, good);

        (byte type, string text) = peer.Read();
        Assert.Equal(SealedMemory.RefuseType, type);
        Assert.Contains(reason, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Hello_DomainNotAdmitted_Refused()
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        using RawPeer peer = RawPeer.Connect(host);
        peer.Send(SealedMemory.HelloType, 7, string.Empty, 0);
        (byte type, string text) = peer.Read();
        Assert.Equal(SealedMemory.RefuseType, type);
        Assert.Contains("domain 7 was not admitted", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Hello_AnotherProcessClaimedTheDomain_Refused()
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        memory.Admit(1, Environment.ProcessId + 1);
        using RawPeer peer = RawPeer.Connect(host);
        peer.Send(SealedMemory.HelloType, 1, string.Empty, 0);
        (byte type, string text) = peer.Read();
        Assert.Equal(SealedMemory.RefuseType, type);
        Assert.Contains($"process {Environment.ProcessId} is not the one that claimed domain 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Hello_SecondConnectionOfADomain_Refused()
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        using RawPeer first = RawPeer.Welcomed(memory, host);
        memory.Admit(1, Environment.ProcessId);
        using RawPeer second = RawPeer.Connect(host);
        second.Send(SealedMemory.HelloType, 1, string.Empty, 0);
        (byte type, string text) = second.Read();
        Assert.Equal(SealedMemory.RefuseType, type);
        Assert.Contains("domain 1 is connected already", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_OfAnotherVersion_RefusedNamingTheVersion()
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        memory.Admit(1, Environment.ProcessId);
        using RawPeer peer = RawPeer.Connect(host);
        byte[] hello = SealedMemory.Encode(SealedMemory.HelloType, 1, string.Empty, 0);
        hello[4] = SealedMemory.Version + 1;
        peer.SendRaw(hello);
        (byte type, string text) = peer.Read();
        Assert.Equal(SealedMemory.RefuseType, type);
        Assert.Contains($"version={SealedMemory.Version + 1}", text, StringComparison.Ordinal);
        Assert.Contains("magic=0x464D5650", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_DescriptorOnAHello_Refused()
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        using RawPeer peer = RawPeer.Welcomed(memory, host);
        using SafeFileHandle good = CreateMemfd("pvring-good", Page, LinuxInterop.SealShrink | LinuxInterop.SealGrow | LinuxInterop.SealSeal);
        peer.Send(SealedMemory.HelloType, 1, string.Empty, 0, good);
        (byte type, string text) = peer.Read();
        Assert.Equal(SealedMemory.RefuseType, type);
        Assert.Contains("descriptors=1, expected=0", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NeverOffered_ClearErrorWithinTheBound()
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        memory.OpenTimeout = TimeSpan.FromMilliseconds(200);
        using RawPeer peer = RawPeer.Welcomed(memory, host);
        PvRingException e = Assert.Throws<PvRingException>(() => memory.Open("arena-1", Page));
        Assert.Contains("never came: name=arena-1, timeout=0.2 s", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_PeerClosedBeforeOffering_FailsAtOnceSayingSo()
    {
        using var host = new TempHost();
        using SealedMemory memory = Listen(host);
        memory.OpenTimeout = TimeSpan.FromSeconds(30);
        RawPeer peer = RawPeer.Welcomed(memory, host);
        peer.Dispose();
        PvRingException e = Assert.Throws<PvRingException>(() => memory.Open("arena-1", Page));
        Assert.Contains("never came: name=arena-1, domain=1; its memory exchange ended", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("arena-3", 0, true, 3)]
    [InlineData("gnttab-65535", 0, true, 65535)]
    [InlineData("evtchn-0", 1, true, 0)]
    [InlineData("gntflush-4-0", 0, true, 4)]
    [InlineData("gntflush-4-0-255", 0, true, 4)]
    [InlineData("gntflush-4-0-0", 0, false, 0)]
    [InlineData("gntflush-4-0-256", 0, false, 0)]
    [InlineData("gntflush-4-1", 0, false, 0)]
    [InlineData("arena-65536", 0, false, 0)]
    [InlineData("arena-1-2", 0, false, 0)]
    [InlineData("arena--1", 0, false, 0)]
    [InlineData("ring-1", 0, false, 0)]
    public void TryGetOwnerDomain_Names_OnlyTheDomainsOwn(string name, int receiver, bool valid, int owner)
    {
        Assert.Equal(valid, SealedMemory.TryGetOwnerDomain(name, receiver, out int found));
        if (valid)
        {
            Assert.Equal(owner, found);
        }
    }

    private static SealedMemory Listen(TempHost host) => SealedMemory.Listen(host.FilePath("memory.sock"), 0, TimeSpan.FromSeconds(5));

    private static SafeFileHandle Make(BadDescriptor kind, string tag, TempHost host, RawPeer peer)
    {
        const int All = LinuxInterop.SealShrink | LinuxInterop.SealGrow | LinuxInterop.SealSeal;
        switch (kind)
        {
            case BadDescriptor.NotSealable:
                {
                    int fd = LinuxInterop.MemfdCreate(tag, LinuxInterop.MemfdCloseOnExec);
                    Assert.True(fd >= 0);
                    Assert.Equal(0, LinuxInterop.Ftruncate(fd, Page));
                    return new SafeFileHandle(fd, ownsHandle: true);
                }

            case BadDescriptor.SealedAgainstShrinkOnly:
                return CreateMemfd(tag, Page, LinuxInterop.SealShrink | LinuxInterop.SealSeal);
            case BadDescriptor.NoGrowSeal:
                return CreateMemfd(tag, Page, LinuxInterop.SealShrink);
            case BadDescriptor.NotSealedShut:
                return CreateMemfd(tag, Page, LinuxInterop.SealShrink | LinuxInterop.SealGrow);
            case BadDescriptor.WriteSealed:
                return CreateMemfd(tag, Page, All | LinuxInterop.SealWrite);
            case BadDescriptor.AnnouncedSizeDiffers:
                return CreateMemfd(tag, Page, All);
            case BadDescriptor.TooLarge:
                return CreateMemfd(tag, SealedMemory.MaxLength + Page, All); // sparse: nothing is allocated
            case BadDescriptor.RegularFileNotMemfd:
                {
                    string path = host.FilePath(tag);
                    File.WriteAllBytes(path, new byte[Page]);
                    return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                }

            default:
                {
                    // The peer's own socket: not a regular file at all.
                    int fd = LinuxInterop.Duplicate((int)peer.Socket.SafeHandle.DangerousGetHandle());
                    return new SafeFileHandle(fd, ownsHandle: true);
                }
        }
    }

    private static SafeFileHandle CreateMemfd(string name, long length, int seals)
    {
        int fd = LinuxInterop.MemfdCreate(name, LinuxInterop.MemfdCloseOnExec | LinuxInterop.MemfdAllowSealing);
        Assert.True(fd >= 0, $"memfd_create failed: errno={Marshal.GetLastPInvokeError()}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        Assert.Equal(0, LinuxInterop.Ftruncate(fd, length));
        Assert.Equal(0, LinuxInterop.AddSeals(fd, seals));
        return handle;
    }

    /// <summary>A front end that speaks the exchange's wire by hand.</summary>
    private sealed class RawPeer : IDisposable
    {
        private RawPeer(Socket socket) => Socket = socket;

        public Socket Socket { get; }

        public static RawPeer Connect(TempHost host)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(host.FilePath("memory.sock")));
            return new RawPeer(socket);
        }

        /// <summary>Connected as domain 1 (admitted for this process) and welcomed.</summary>
        public static RawPeer Welcomed(SealedMemory memory, TempHost host)
        {
            memory.Admit(1, Environment.ProcessId);
            RawPeer peer = Connect(host);
            peer.Send(SealedMemory.HelloType, 1, string.Empty, 0);
            (byte type, string text) = peer.Read();
            Assert.True(type == SealedMemory.WelcomeType, $"type={type}: {text}");
            return peer;
        }

        public void Send(byte type, ushort domain, string text, long length, SafeFileHandle? descriptor = null)
        {
            int fd = descriptor is null ? -1 : (int)descriptor.DangerousGetHandle();
            Assert.Equal(0, LinuxDescriptorPassing.Send(Fd, SealedMemory.Encode(type, domain, text, length), fd, 5000));
        }

        public void SendRaw(byte[] message) => Assert.Equal(0, LinuxDescriptorPassing.Send(Fd, message, -1, 5000));

        public void Offer(ushort domain, string name, long length, SafeFileHandle descriptor) =>
            Send(SealedMemory.OfferType, domain, name, length, descriptor);

        /// <summary>The next message's type and text (descriptors that came with it are closed); bounded.</summary>
        public (byte Type, string Text) Read()
        {
            var header = new byte[SealedMemory.HeaderSize];
            ReadExactly(header);
            var text = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8))];
            ReadExactly(text);
            return (header[5], Encoding.UTF8.GetString(text));
        }

        public void Dispose() => Socket.Dispose();

        private int Fd => (int)Socket.SafeHandle.DangerousGetHandle();

        private void ReadExactly(byte[] buffer)
        {
            var descriptors = new List<int>();
            int filled = 0;
            long deadline = Environment.TickCount64 + 10_000;
            while (filled < buffer.Length)
            {
                Assert.True(Environment.TickCount64 < deadline, "no message within 10 s");
                LinuxDescriptorPassing.ReceiveStatus status = LinuxDescriptorPassing.Receive(Fd, buffer.AsSpan(filled), descriptors, 500, out int count, out _, out _);
                Assert.NotEqual(LinuxDescriptorPassing.ReceiveStatus.Closed, status);
                Assert.NotEqual(LinuxDescriptorPassing.ReceiveStatus.Failed, status);
                filled += count;
            }

            foreach (int fd in descriptors)
            {
                _ = LinuxInterop.Close(fd);
            }
        }
    }
}
