// Licensed under the MIT License. See LICENSE in the repository root.

using System.Net.Sockets;
using System.Runtime.InteropServices;
using CsCheck;
using PvRing.Tests.Infrastructure;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;
using PvRing.Store;
using PvRing.Transport;

namespace PvRing.Tests.Hardening;

/// <summary>
/// The bounded hostile fuzzer for files planted in the host directory: at every name the library opens (arena, grant
/// table, event page, flush page, ring file, the store socket and the listener's store pointer) a live domain's file is
/// replaced by a FIFO, a socket, a link to a copy, a dangling link, a directory, a file of a random wrong size, or
/// garbage of the right size; then every opener runs (a mapper opening the domain, a bind to its event channel, a
/// deferred-unmap back, a ring back, a new domain of the same id, the store starting, the rendezvous finding the store,
/// and <c>pvring ls</c>/<c>inspect</c>). Each works or throws <see cref="PvRingException"/>: never a hang (a FIFO opened
/// for reading), a SIGBUS (a short file mapped), a write through a link, or another exception.
/// </summary>
public sealed partial class PlantedFileFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Cases = 150;

    private static readonly string[] s_names = ["arena-1", "gnttab-1", "evtchn-1", "gntflush-1-0", "ring", XenStoreServer.DefaultSocketName, PvRingRendezvous.StorePointerName];

    public enum Plant
    {
        Fifo,
        Socket,
        LinkToCopy,
        DanglingLink,
        Directory,
        WrongSize,
        Garbage,
    }

    [Fact]
    public void PlantedFiles_EveryOpenerWorksOrThrowsTheLibrarysException()
    {
        Gen<(int Name, Plant Plant, int Seed)> cases = Gen.Select(Gen.Int[0, s_names.Length - 1], Gen.Enum<Plant>(), Gen.Int);
        int refusals = 0, successes = 0;
        FuzzBudget.Sample(cases, Cases, output, c =>
        {
            (int Ok, int Refused) counts = default;
            string? failure = FuzzBudget.Run($"{c.Plant} at {s_names[c.Name]} seed={c.Seed}", () => counts = RunCase(s_names[c.Name], c.Plant, c.Seed), _ => false);
            successes += counts.Ok;
            refusals += counts.Refused;
            return failure;
        });
        Assert.True(refusals > 0 && successes > 0, $"ok={successes} refused={refusals}");
        output.WriteLine($"{FuzzBudget.Cases(Cases)} planted files: openers succeeded {successes} times, refused clearly {refusals} times");
    }

    private static (int Ok, int Refused) RunCase(string name, Plant plant, int seed)
    {
        using var host = new TempHost();
        using var outside = new TempHost();
        string outsideCopy = outside.FilePath("copy");
        int ok = 0, refused = 0;
        void Attempt(Action opener)
        {
            try
            {
                opener();
                ok++;
            }
            catch (PvRingException)
            {
                refused++;
            }
        }

        using GrantDomain front = GrantDomain.Create(host.Host, 1, new GrantDomainOptions { ArenaFrames = 4 });
        using EventDomain frontEvents = EventDomain.Create(host.Host, 1);
        using EventChannel offered = frontEvents.AllocateUnbound(0);
        using DeferredUnmapFrontend flush = DeferredUnmapFrontend.Create(host.Host, 1, 0);
        using FrontRing<NetifTxRequest, NetifTxResponse> ring = RingFile.Create<NetifTxRequest, NetifTxResponse>(host.Host, "ring", RingVariant.Classic(0));
        using IDisposable? planted = PlantAt(host, name, plant, seed, outsideCopy);
        byte[]? before = File.Exists(outsideCopy) ? File.ReadAllBytes(outsideCopy) : null;

        Attempt(() =>
        {
            using ForeignDomain domain = ForeignDomain.Open(host.Host, 0, 1);
            using var mapper = new GrantMapper(domain);
            uint reference = front.GrantAccess(0, 0, readOnly: false);
            if (mapper.Write(reference, 0, new byte[64]) != GrantStatus.Okay)
            {
                throw new PvRingException("the write failed");
            }

            using var deferred = new DeferredUnmapMapper(domain);
        });
        Attempt(() =>
        {
            using EventDomain back = EventDomain.Create(host.Host, 0);
            using EventChannel bound = back.BindInterdomain(1, offered.Port);
            bound.Notify();
        });
        Attempt(() =>
        {
            using BackRing<NetifTxRequest, NetifTxResponse> back = RingFile.Attach<NetifTxRequest, NetifTxResponse>(host.Host, "ring");
            _ = back.UnconsumedRequests;
        });
        Attempt(() =>
        {
            using EventDomain again = EventDomain.Create(host.Host, 1); // domain 1 lives: refused, whatever is at its name
        });
        Attempt(() =>
        {
            using XenStoreServer store = XenStoreServer.Start(new XenStoreServerOptions { SocketPath = host.FilePath(XenStoreServer.DefaultSocketName) });
        });
        Attempt(() => _ = PvRingRendezvous.SocketOf(host.Host));
        Attempt(() =>
        {
            foreach (HostFileEntry entry in HostFileInspector.List(host.Path))
            {
                try
                {
                    _ = HostFileInspector.Inspect(entry.Path);
                }
                catch (PvRingException)
                {
                    refused++;
                }
            }
        });

        // Nothing the openers did wrote through a link into the file outside the directory.
        if (before is not null && !before.AsSpan().SequenceEqual(File.ReadAllBytes(outsideCopy)))
        {
            throw new InvalidOperationException($"A write went through the link at {name} into {outsideCopy}.");
        }

        return (ok, refused);
    }

    /// <summary>Plants <paramref name="plant"/> at <paramref name="name"/>; returns what keeps it there (a bound socket) or null.</summary>
    private static IDisposable? PlantAt(TempHost host, string name, Plant plant, int seed, string outsideCopy)
    {
        string path = host.FilePath(name);
        byte[] original = File.Exists(path) && !IsSocket(path) ? File.ReadAllBytes(path) : new byte[4096];
        if (File.Exists(path) || Directory.Exists(path))
        {
            File.Delete(path);
        }

        var random = new Random(seed);
        switch (plant)
        {
            case Plant.Fifo:
                Assert.Equal(0, MakeFifo(path, 0x180));
                break;
            case Plant.Socket:
                // Bound, not listening: nobody answers. Disposing it removes the file, so it lives for the case.
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(path));
                return socket;
            case Plant.LinkToCopy:
                File.WriteAllBytes(outsideCopy, original);
                File.CreateSymbolicLink(path, outsideCopy);
                break;
            case Plant.DanglingLink:
                File.CreateSymbolicLink(path, host.FilePath("nowhere-" + seed));
                break;
            case Plant.Directory:
                Directory.CreateDirectory(path);
                break;
            case Plant.WrongSize:
                int length = random.Next(4) switch { 0 => 0, 1 => random.Next(1, 4096), 2 => original.Length + 4096, _ => Math.Max(0, original.Length - 4096) };
                byte[] resized = new byte[length];
                original.AsSpan(0, Math.Min(length, original.Length)).CopyTo(resized);
                File.WriteAllBytes(path, resized);
                break;
            default:
                byte[] garbage = new byte[original.Length];
                random.NextBytes(garbage);
                File.WriteAllBytes(path, garbage);
                break;
        }

        return null;
    }

    private static bool IsSocket(string path) => (File.GetAttributes(path) & FileAttributes.Device) == 0 && new FileInfo(path).Length == 0 && path.EndsWith(".sock", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeFifo(string path, uint mode);
}
