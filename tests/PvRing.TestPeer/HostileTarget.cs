// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.TestPeer;

/// <summary>
/// One shared file the hostile writer found in the host directory, mapped by path with the runtime's own
/// <see cref="MemoryMappedFile"/> (not the library's opener: a hostile peer maps what it likes), and what it knows of
/// its layout from the name: a ring file <c>ring-FEATURES-ORDER</c> (<see cref="SequencedRequest"/>s), an event page
/// <c>evtchn-N</c>, a grant table <c>gnttab-N</c>, an arena <c>arena-N</c> (with the netif rings the store names, when
/// known), or anything else (random words). Each <see cref="Scribble"/> writes a few adversarial values with the file's
/// own <see cref="Random"/>, seeded from the run's seed and the file's path, so a case's writes replay.
/// </summary>
internal sealed unsafe class HostileTarget : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Random _random;
    private readonly RingGeometry _ring;
    private readonly int _milestone;

    private HostileTarget(string name, string relative, MemoryMappedFile file, MemoryMappedViewAccessor view, long length, int seed)
    {
        Name = name;
        Relative = relative;
        _file = file;
        _view = view;
        Length = length;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
        _random = new Random(seed ^ Fnv(relative));
        _milestone = 4 + _random.Next(12);
        Kind = name.StartsWith("ring-", StringComparison.Ordinal) ? HostileKind.Ring
            : name.StartsWith("evtchn-", StringComparison.Ordinal) ? HostileKind.EventPage
            : name.StartsWith("gnttab-", StringComparison.Ordinal) ? HostileKind.GrantTable
            : name.StartsWith("arena-", StringComparison.Ordinal) ? HostileKind.Arena
            : HostileKind.Other;
        if (Kind == HostileKind.Ring && TryParseVariant(name, out RingVariant variant))
        {
            _ring = RingVariantLayout.Geometry<SequencedRequest, SequencedResponse>(variant);
            Kind = _ring.Length <= length ? HostileKind.Ring : HostileKind.Other;
        }
        else if (Kind == HostileKind.Ring)
        {
            Kind = HostileKind.Other;
        }
    }

    /// <summary>The file's name (or the memfd's): what says its layout.</summary>
    public string Name { get; }

    /// <summary>The path relative to the writer's root (the case directory and the name): the key of its seed.</summary>
    public string Relative { get; }

    /// <summary>The mapped length: the file's length when it was found (the writer never changes a file's size).</summary>
    public long Length { get; }

    /// <summary>What the name says the file holds.</summary>
    public HostileKind Kind { get; }

    /// <summary>The rounds this file has been written in.</summary>
    public int Rounds { get; private set; }

    /// <summary>Writes made into this file.</summary>
    public long Writes { get; private set; }

    /// <summary>True once, in the round the file reached its milestone (4 to 15 rounds, from its seed): then the writer reports a hit.</summary>
    public bool ReachedMilestone => Rounds == _milestone;

    /// <summary>The arena frames holding the device's transmit and receive rings (from the store and the grant table), or null.</summary>
    public (uint Transmit, uint Receive)? NetRings { get; set; }

    /// <summary>
    /// Maps <paramref name="path"/>; null when it is not a regular file of a page or more (a socket, a FIFO, a link, a file
    /// still being made). With <paramref name="name"/>, <paramref name="path"/> is a descriptor's <c>/proc/self/fd</c> link
    /// (a memfd) and the name says what it holds.
    /// </summary>
    public static HostileTarget? TryOpen(string path, string relative, int seed, string? name = null)
    {
        try
        {
            if (name is null)
            {
                var info = new FileInfo(path);
                if (!info.Exists || info.LinkTarget is not null || info.Length < 4096 || path.EndsWith(".sock", StringComparison.Ordinal))
                {
                    return null;
                }
            }

            var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            long length = stream.Length;
            if (length < 4096)
            {
                stream.Dispose();
                return null;
            }

            MemoryMappedFile file = MemoryMappedFile.CreateFromFile(stream, null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            MemoryMappedViewAccessor view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
            return new HostileTarget(name ?? System.IO.Path.GetFileName(path), relative, file, view, length, seed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null; // gone, not a regular file, or empty: look again next round
        }
    }

    /// <summary>One round: a few adversarial writes where the layout hurts most.</summary>
    public void Scribble()
    {
        Rounds++;
        int writes = 1 + _random.Next(3);
        for (int i = 0; i < writes; i++)
        {
            switch (Kind)
            {
                case HostileKind.Ring:
                    ScribbleRing(_base, _ring);
                    break;
                case HostileKind.EventPage:
                    ScribbleEventPage();
                    break;
                case HostileKind.GrantTable:
                    ScribbleGrantTable();
                    break;
                case HostileKind.Arena when NetRings is (uint tx, uint rx) && _random.Next(4) != 0:
                    ScribbleNetRing(_random.Next(2) == 0 ? tx : rx, transmit: _random.Next(2) == 0);
                    break;
                default:
                    WordAnywhere();
                    break;
            }

            Writes++;
        }
    }

    /// <summary>The frame a grant reference names in this grant table, or null (out of the table).</summary>
    public uint? FrameOf(uint reference) =>
        Kind == HostileKind.GrantTable && (reference + 1L) * GrantTableLayout.EntrySize <= Length
            ? Volatile.Read(ref *(uint*)(_base + ((long)reference * GrantTableLayout.EntrySize) + GrantTableLayout.FrameOffset))
            : null;

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    private static bool TryParseVariant(string name, out RingVariant variant)
    {
        string[] parts = name.Split('-');
        if (parts.Length >= 3
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int features)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int order))
        {
            variant = new RingVariant((RingFeatures)features, order);
            return true;
        }

        variant = default;
        return false;
    }

    private static int Fnv(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash = unchecked((hash ^ c) * 16777619);
        }

        return (int)hash;
    }

    /// <summary>Ring headers and slots: the four indexes, then words and whole slots near the producers.</summary>
    private void ScribbleRing(byte* ring, in RingGeometry g)
    {
        int size = g.SlotCount;
        switch (_random.Next(7))
        {
            case 0:
                WriteIndex(ring + g.RequestProducerOffset, size);
                break;
            case 1:
                WriteIndex(ring + g.ResponseProducerOffset, size);
                break;
            case 2:
                WriteIndex(ring + g.RequestEventOffset, size);
                break;
            case 3:
                WriteIndex(ring + g.ResponseEventOffset, size);
                break;
            case 4 when _random.Next(2) == 0:
                // A well-formed publish: a few slots of random words at the producer, then the producer past them.
                bool front = _random.Next(2) == 0;
                uint* producerIndex = (uint*)(ring + (front ? g.RequestProducerOffset : g.ResponseProducerOffset));
                uint first = Volatile.Read(ref *producerIndex);
                int published = 1 + _random.Next(Math.Min(size, 8));
                for (int i = 0; i < published; i++)
                {
                    long at = (front ? g.RequestSlotsOffset : g.ResponseSlotsOffset) + ((unchecked(first + (uint)i) & (uint)(size - 1)) * (long)(front ? g.RequestSlotStride : g.ResponseSlotStride));
                    Volatile.Write(ref *(ulong*)(ring + at), HostileValues.Long(_random));
                }

                Volatile.Write(ref *producerIndex, unchecked(first + (uint)published));
                break;
            case 4:
            case 5:
                // A word of a slot near where the producer is (the one the consumer reads next), or any slot.
                bool requests = _random.Next(2) == 0;
                uint producer = Volatile.Read(ref *(uint*)(ring + (requests ? g.RequestProducerOffset : g.ResponseProducerOffset)));
                int slot = (int)(unchecked(producer + (uint)(_random.Next(5) - 3)) & (uint)(size - 1));
                if (_random.Next(4) == 0)
                {
                    slot = _random.Next(size);
                }

                long slots = requests ? g.RequestSlotsOffset : g.ResponseSlotsOffset;
                int stride = requests ? g.RequestSlotStride : g.ResponseSlotStride;
                int word = _random.Next(Math.Max(1, stride / 8));
                Volatile.Write(ref *(ulong*)(ring + slots + ((long)slot * stride) + (word * 8)), HostileValues.Long(_random));
                break;
            default:
                long offset = _random.NextInt64(g.Length / 8) * 8;
                Volatile.Write(ref *(ulong*)(ring + offset), HostileValues.Long(_random));
                break;
        }
    }

    private void WriteIndex(byte* index, int size) =>
        Volatile.Write(ref *(uint*)index, HostileValues.Index(_random, Volatile.Read(ref *(uint*)index), size));

    /// <summary>A netif ring in the arena (order 0, classic layout): indexes, then slots written as netif structs.</summary>
    private void ScribbleNetRing(uint frame, bool transmit)
    {
        if ((frame + 1L) * XenPage.Size > Length)
        {
            WordAnywhere();
            return;
        }

        byte* ring = _base + ((long)frame * XenPage.Size);
        RingGeometry g = transmit
            ? RingVariantLayout.Geometry<NetifTxRequest, NetifTxResponse>(RingVariant.Classic(0))
            : RingVariantLayout.Geometry<NetifRxRequest, NetifRxResponse>(RingVariant.Classic(0));
        switch (_random.Next(4))
        {
            case 0:
                ScribbleRing(ring, g);
                return;
            case 1:
                PublishNetChain(ring, g, transmit);
                return;
        }

        // A slot next to the producer: the request or response the peer reads next, or one it read already.
        bool requests = _random.Next(2) == 0;
        uint producer = Volatile.Read(ref *(uint*)(ring + (requests ? g.RequestProducerOffset : g.ResponseProducerOffset)));
        uint slot = unchecked(producer + (uint)(_random.Next(4) - 2)) & (uint)(g.SlotCount - 1);
        byte* entry = ring + (requests ? g.RequestSlotsOffset : g.ResponseSlotsOffset) + (slot * (requests ? g.RequestSlotStride : g.ResponseSlotStride));
        if (transmit && requests)
        {
            // A packet chain's slot: references granted, reserved or wild; offsets and sizes at the page's edges; every flag.
            var request = new NetifTxRequest
            {
                GrantRef = _random.Next(3) == 0 ? HostileValues.Word(_random, 512) : 8 + (uint)_random.Next(64),
                Offset = HostileValues.Half(_random, XenPage.Size),
                Flags = (NetifTxFlags)(_random.Next(3) == 0 ? _random.Next(16) : _random.Next(2)),
                Id = HostileValues.Half(_random, 256),
                Size = _random.Next(3) == 0 ? HostileValues.Half(_random, XenPage.Size) : (ushort)_random.Next(1, 65535),
            };
            Unsafe.WriteUnaligned(entry, request);
        }
        else if (transmit)
        {
            Unsafe.WriteUnaligned(entry, new NetifTxResponse { Id = HostileValues.Half(_random, 256), Status = (short)(_random.Next(5) - 3) });
        }
        else if (requests)
        {
            Unsafe.WriteUnaligned(entry, new NetifRxRequest { Id = HostileValues.Half(_random, 256), GrantRef = _random.Next(2) == 0 ? HostileValues.Word(_random, 512) : 8 + (uint)_random.Next(64) });
        }
        else
        {
            Unsafe.WriteUnaligned(entry, new NetifRxResponse
            {
                Id = HostileValues.Half(_random, 256),
                Offset = HostileValues.Half(_random, XenPage.Size),
                Flags = (NetifRxFlags)_random.Next(64),
                Status = (short)(_random.Next(2) == 0 ? _random.Next(-3, 4097) : (short)HostileValues.Half(_random, 32768)),
            });
        }
    }

    /// <summary>
    /// What a hostile peer that follows the protocol's steps sends: a chain of 1 to 20 plausible slots written at its
    /// producer index (transmit requests as a front: a first size covering the chain, <c>more_data</c> on all but the last,
    /// references near the granted ones, offsets and sizes at a page's edges; or receive responses as a back: ids,
    /// offsets, flags and statuses), then the producer moved past them with a release, as <c>RING_PUSH_REQUESTS</c> does.
    /// </summary>
    private void PublishNetChain(byte* ring, in RingGeometry g, bool transmit)
    {
        bool asFront = transmit ? _random.Next(4) != 0 : _random.Next(4) == 0;
        uint* producer = (uint*)(ring + (asFront ? g.RequestProducerOffset : g.ResponseProducerOffset));
        uint start = Volatile.Read(ref *producer);
        int count = _random.Next(3) == 0 ? _random.Next(1, 21) : _random.Next(1, 4);
        byte* slots = ring + (asFront ? g.RequestSlotsOffset : g.ResponseSlotsOffset);
        int stride = asFront ? g.RequestSlotStride : g.ResponseSlotStride;
        ushort total = (ushort)_random.Next(1, 65536);
        for (int i = 0; i < count; i++)
        {
            byte* entry = slots + ((unchecked(start + (uint)i) & (uint)(g.SlotCount - 1)) * stride);
            bool last = i == count - 1;
            if (transmit && asFront)
            {
                Unsafe.WriteUnaligned(entry, new NetifTxRequest
                {
                    GrantRef = _random.Next(8) == 0 ? HostileValues.Word(_random, 512) : 8 + (uint)_random.Next(64),
                    Offset = _random.Next(4) == 0 ? HostileValues.Half(_random, XenPage.Size) : (ushort)_random.Next(XenPage.Size),
                    Flags = _random.Next(8) == 0 ? (NetifTxFlags)_random.Next(16) : last ? NetifTxFlags.None : NetifTxFlags.MoreData,
                    Id = (ushort)_random.Next(_random.Next(4) == 0 ? 65536 : 256),
                    Size = i == 0 ? total : _random.Next(4) == 0 ? HostileValues.Half(_random, XenPage.Size) : (ushort)_random.Next(1, XenPage.Size + 1),
                });
            }
            else if (transmit)
            {
                Unsafe.WriteUnaligned(entry, new NetifTxResponse { Id = (ushort)_random.Next(256), Status = (short)(_random.Next(4) - 2) });
            }
            else if (asFront)
            {
                Unsafe.WriteUnaligned(entry, new NetifRxRequest { Id = (ushort)_random.Next(256), GrantRef = 8 + (uint)_random.Next(64) });
            }
            else
            {
                Unsafe.WriteUnaligned(entry, new NetifRxResponse
                {
                    Id = (ushort)_random.Next(_random.Next(4) == 0 ? 65536 : 256),
                    Offset = _random.Next(4) == 0 ? HostileValues.Half(_random, XenPage.Size) : (ushort)_random.Next(XenPage.Size),
                    Flags = _random.Next(8) == 0 ? (NetifRxFlags)_random.Next(64) : last ? NetifRxFlags.None : NetifRxFlags.MoreData,
                    Status = (short)(_random.Next(8) == 0 ? _random.Next(-3, 1) : _random.Next(1, XenPage.Size + 1)),
                });
            }
        }

        // The slots before the index that publishes them, as the protocol orders it.
        Volatile.Write(ref *producer, unchecked(start + (uint)count));
    }

    /// <summary>Event pages: pending, mask and selector words, dispatcher and futex words, port bindings, the header.</summary>
    private void ScribbleEventPage()
    {
        int port = _random.Next(2) == 0 ? _random.Next(8) : _random.Next(EventPageLayout.MaxPorts);
        long entry = EventPageLayout.PortTableOffset + ((long)port * EventPageLayout.PortEntrySize);
        if (entry + EventPageLayout.PortEntrySize > Length)
        {
            WordAnywhere();
            return;
        }

        ulong value = HostileValues.Long(_random);
        switch (_random.Next(10))
        {
            case 0:
                Interlocked.Or(ref *(ulong*)(_base + EventPageLayout.PendingOffset + ((port >> 6) * 8)), value);
                break;
            case 1:
                Volatile.Write(ref *(ulong*)(_base + EventPageLayout.MaskOffset + ((port >> 6) * 8)), value);
                break;
            case 2:
                Volatile.Write(ref *(ulong*)(_base + EventPageLayout.PendingSelectorOffset), value);
                break;
            case 3:
                Volatile.Write(ref *(uint*)(_base + EventPageLayout.UpcallPendingOffset), (uint)value);
                break;
            case 4:
                Volatile.Write(ref *(uint*)(_base + (_random.Next(2) == 0 ? EventPageLayout.DispatcherFutexOffset : EventPageLayout.DispatcherSleepersOffset)), HostileValues.Word(_random, 3));
                break;
            case 5:
                // Any state byte, or a well-formed binding naming another domain or a port past the table.
                ulong binding = _random.Next(2) == 0 ? value
                    : (uint)_random.Next(4) | ((ulong)(uint)_random.Next(4) << 16) | ((ulong)HostileValues.Word(_random, EventPageLayout.MaxPorts) << 32);
                Volatile.Write(ref *(ulong*)(_base + entry + EventPageLayout.PortBindingOffset), binding);
                break;
            case 6:
                Interlocked.Increment(ref *(uint*)(_base + entry + EventPageLayout.PortFutexOffset));
                break;
            case 7:
                Volatile.Write(ref *(uint*)(_base + entry + EventPageLayout.PortWaitersOffset), HostileValues.Word(_random, EventPageLayout.AsyncWaiter));
                break;
            case 8 when _random.Next(4) == 0:
                // The header rarely: a page with a bad header is refused at once, and the rest would go untested.
                int offset = _random.Next(7) switch
                {
                    0 => EventPageLayout.MagicOffset,
                    1 => EventPageLayout.VersionOffset,
                    2 => EventPageLayout.DomainIdOffset,
                    3 => EventPageLayout.OwnerPidOffset,
                    4 => EventPageLayout.MaxPortsOffset,
                    5 => EventPageLayout.OwnerStartTimeOffset,
                    _ => EventPageLayout.LiveOffset,
                };
                Volatile.Write(ref *(uint*)(_base + offset), HostileValues.Word(_random, EventPageLayout.MaxPorts));
                break;
            default:
                WordAnywhere();
                break;
        }
    }

    /// <summary>Grant entries: flags of every type and bit, the grantee, frames inside, at the end of and far outside the arena.</summary>
    private void ScribbleGrantTable()
    {
        long entries = Length / GrantTableLayout.EntrySize;
        uint frames = Volatile.Read(ref *(uint*)(_base + 8)); // the header's arena frame count (reserved reference 1)
        uint reference = _random.Next(6) switch
        {
            0 => (uint)_random.Next((int)GrantTableLayout.ReservedEntries), // the header lives there
            1 => (uint)_random.NextInt64(entries),
            _ => GrantTableLayout.ReservedEntries + (uint)_random.Next(64),
        };
        byte* entry = _base + ((long)reference * GrantTableLayout.EntrySize);
        uint frame = _random.Next(4) switch
        {
            0 => (uint)_random.Next((int)Math.Min(Math.Max(frames, 1), 1 << 20)),
            1 => HostileValues.Word(_random, frames),
            _ => Volatile.Read(ref *(uint*)(entry + GrantTableLayout.FrameOffset)),
        };
        ushort flags = _random.Next(3) == 0 ? (ushort)_random.Next(65536) : (ushort)(_random.Next(4) | (_random.Next(8) << 2));
        ushort domain = (ushort)(_random.Next(4) == 0 ? _random.Next(65536) : _random.Next(4));
        if (_random.Next(3) != 0)
        {
            Volatile.Write(ref *(uint*)(entry + GrantTableLayout.FrameOffset), frame);
        }

        Volatile.Write(ref *(uint*)entry, flags | ((uint)domain << 16));
    }

    private void WordAnywhere()
    {
        long offset = _random.NextInt64(Length / 8) * 8;
        Volatile.Write(ref *(ulong*)(_base + offset), HostileValues.Long(_random));
    }
}
