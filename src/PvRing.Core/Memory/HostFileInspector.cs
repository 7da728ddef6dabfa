// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Platform;

namespace PvRing.Memory;

/// <summary>What a file in a host directory is, by its name and contents.</summary>
public enum HostFileKind
{
    /// <summary>Not a file this library writes.</summary>
    Unknown,

    /// <summary>A directory (a listener's name).</summary>
    Directory,

    /// <summary>A Unix socket (a store's).</summary>
    Socket,

    /// <summary>A listener's pointer to an external store (<c>store</c>).</summary>
    StorePointer,

    /// <summary>A file being written, not yet published (<c>.NAME.PID.tmp</c>).</summary>
    Temporary,

    /// <summary>A ring file of the C-compatible mode (any other name whose size is 1 to 16 pages).</summary>
    Ring,

    /// <summary>A ring file's event channel sidecar (<c>NAME.evtchn</c>).</summary>
    RingSidecar,

    /// <summary>A domain's memory (<c>arena-N</c>).</summary>
    Arena,

    /// <summary>A domain's grant table (<c>gnttab-N</c>).</summary>
    GrantTable,

    /// <summary>A domain's event page (<c>evtchn-N</c>).</summary>
    EventPage,

    /// <summary>A front's deferred-unmap flush page (<c>gntflush-F-B</c>, <c>gntflush-F-B-Q</c>).</summary>
    FlushPage,

    /// <summary>A symbolic link (the library never creates one, never follows one: planted, or left by hand).</summary>
    SymbolicLink,
}

/// <summary>One entry of <see cref="HostFileInspector.List"/>.</summary>
/// <param name="Path">The full path.</param>
/// <param name="Kind">What it is.</param>
/// <param name="DomainId">The domain it belongs to (the front's for a flush page), when the name says.</param>
/// <param name="Length">Its size in bytes (0 for directories and sockets).</param>
/// <param name="Mode">Its permission bits.</param>
/// <param name="OwnerUserId">Its owner's uid, or -1 when it could not be read.</param>
/// <param name="ProcessId">The process that owns it, where the library records one (a domain's event page says).</param>
/// <param name="ProcessAlive">Whether that process still runs (the pid with its start time, so a recycled pid does not count); null when unknown.</param>
public sealed record HostFileEntry(
    string Path, HostFileKind Kind, int? DomainId, long Length, UnixFileMode Mode, long OwnerUserId, int? ProcessId, bool? ProcessAlive);

/// <summary>
/// Reads host directories and the library's shared files for people and tools (<c>pvring ls</c>, <c>pvring inspect</c>):
/// what each file is, who owns it, whether its process still lives (the way to tell stale files from live ones), and
/// a live structure's state in readable form. Read-only: it maps nothing writable and changes nothing.
/// </summary>
public static partial class HostFileInspector
{
    /// <summary>The entries of <paramref name="directory"/> (and of its subdirectories, one level: a listener's name), sorted by path.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IReadOnlyList<HostFileEntry> List(string directory, bool recursive = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var entries = new List<HostFileEntry>();
        foreach (string path in System.IO.Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            HostFileEntry entry = Describe(path);
            entries.Add(entry);
            if (recursive && entry.Kind == HostFileKind.Directory)
            {
                entries.AddRange(List(path, recursive: false));
            }
        }

        return entries;
    }

    /// <summary>What <paramref name="path"/> is (by its name, type and size), its owner, mode, and its process where the library records one.</summary>
    /// <exception cref="FileNotFoundException">Nothing is at the path.</exception>
    public static HostFileEntry Describe(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        FileAttributes attributes = File.GetAttributes(path); // throws FileNotFoundException
        string name = info.Name;
        if (info.LinkTarget is not null)
        {
            // Described, not followed: a dangling link has no mode or size of its own worth reading.
            long linkOwner = OperatingSystem.IsLinux() && LinuxInterop.GetOwnerUserId(path) is uint linkUid ? linkUid : -1;
            return new HostFileEntry(path, HostFileKind.SymbolicLink, null, 0, UnixFileMode.None, linkOwner, null, null);
        }

        bool isDirectory = (attributes & FileAttributes.Directory) != 0;
        UnixFileMode mode = OperatingSystem.IsWindows() ? UnixFileMode.None : File.GetUnixFileMode(path);
        long uid = OperatingSystem.IsLinux() && LinuxInterop.GetOwnerUserId(path) is uint owner ? owner : -1;
        long length = isDirectory ? 0 : info.Length;
        (HostFileKind kind, int? domain) = Classify(name, isDirectory, IsSocket(path), length);
        (int? pid, bool? alive) = kind switch
        {
            HostFileKind.EventPage => ReadOwner(path),
            HostFileKind.Arena or HostFileKind.GrantTable or HostFileKind.FlushPage when domain is int d =>
                ReadOwner(System.IO.Path.Combine(info.DirectoryName!, $"evtchn-{d.ToString(CultureInfo.InvariantCulture)}")),
            _ => (null, null),
        };
        return new HostFileEntry(path, kind, domain, length, mode, uid, pid, alive);
    }

    /// <summary>
    /// A live structure in readable form: a ring file's indexes and pending requests, an event page's owner, bound ports
    /// and pending events, a grant table's entries in use, a flush page's epochs. Pairs of field and value, in order.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing is at the path.</exception>
    /// <exception cref="PvRingException">The file is not one this method can read, or its contents are not valid; the message says why.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> Inspect(string path)
    {
        HostFileEntry entry = Describe(path);
        byte[] bytes = ReadAll(path, entry);
        var fields = new List<KeyValuePair<string, string>>
        {
            new("path", path),
            new("kind", entry.Kind.ToString()),
            new("size", Number(entry.Length)),
        };
        // A file planted or truncated by a peer can be shorter than its kind's header: a clear error, not an out-of-range read.
        int minimum = entry.Kind switch
        {
            HostFileKind.Ring => 16,
            HostFileKind.EventPage => EventPageLayout.PortTableOffset + (EventPageLayout.MaxPorts * EventPageLayout.PortEntrySize),
            HostFileKind.GrantTable => (int)GrantTableLayout.ReservedEntries * GrantTableLayout.EntrySize,
            HostFileKind.FlushPage => UnmapFlushLayout.VersionOffset + sizeof(ushort),
            _ => 0,
        };
        if (bytes.Length < minimum)
        {
            throw new PvRingException($"The file is too short for a {entry.Kind}: path={path}, size={bytes.Length}, expected at least {minimum}.");
        }

        switch (entry.Kind)
        {
            case HostFileKind.Ring:
                InspectRing(bytes, fields);
                break;
            case HostFileKind.EventPage:
                InspectEventPage(bytes, entry, fields);
                break;
            case HostFileKind.GrantTable:
                InspectGrantTable(bytes, fields);
                break;
            case HostFileKind.FlushPage:
                fields.Add(new("magic", Hex(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(UnmapFlushLayout.MagicOffset)), UnmapFlushLayout.Magic)));
                fields.Add(new("version", Number(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(UnmapFlushLayout.VersionOffset)))));
                fields.Add(new("requested-epoch", Number(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(UnmapFlushLayout.RequestedOffset)))));
                fields.Add(new("completed-epoch", Number(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(UnmapFlushLayout.CompletedOffset)))));
                break;
            case HostFileKind.Arena:
                fields.Add(new("frames", Number(entry.Length / XenPage.Size)));
                AddOwner(entry, fields);
                break;
            default:
                throw new PvRingException($"Cannot inspect a {entry.Kind} file: path={path}. Give a ring file, an event page (evtchn-N), a grant table (gnttab-N), an arena or a flush page.");
        }

        return fields;
    }

    private static (HostFileKind Kind, int? DomainId) Classify(string name, bool isDirectory, bool isSocket, long length)
    {
        if (isDirectory)
        {
            return (HostFileKind.Directory, null);
        }

        if (isSocket)
        {
            return (HostFileKind.Socket, null);
        }

        if (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal))
        {
            return (HostFileKind.Temporary, null);
        }

        Match match = DomainFile().Match(name);
        if (match.Success)
        {
            int domain = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            return (match.Groups[1].Value switch
            {
                "arena" => HostFileKind.Arena,
                "gnttab" => HostFileKind.GrantTable,
                _ => HostFileKind.EventPage,
            }, domain);
        }

        match = FlushFile().Match(name);
        if (match.Success)
        {
            return (HostFileKind.FlushPage, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        if (name == "store")
        {
            return (HostFileKind.StorePointer, null);
        }

        if (name.EndsWith(".evtchn", StringComparison.Ordinal))
        {
            return (HostFileKind.RingSidecar, null);
        }

        bool ringSized = length >= XenPage.Size && length <= 16L * XenPage.Size && length % XenPage.Size == 0 && long.IsPow2(length / XenPage.Size);
        return (ringSized ? HostFileKind.Ring : HostFileKind.Unknown, null);
    }

    private static void InspectRing(byte[] bytes, List<KeyValuePair<string, string>> fields)
    {
        // ring.h's struct *_sring header: req_prod, req_event, rsp_prod, rsp_event (the ring-file mode is always classic).
        uint requestProducer = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        uint requestEvent = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4));
        uint responseProducer = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        uint responseEvent = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        fields.Add(new("pages", Number(bytes.Length / XenPage.Size)));
        fields.Add(new("req_prod", Number(requestProducer)));
        fields.Add(new("req_event", Number(requestEvent)));
        fields.Add(new("rsp_prod", Number(responseProducer)));
        fields.Add(new("rsp_event", Number(responseEvent)));
        fields.Add(new("requests-not-answered", Number(unchecked(requestProducer - responseProducer))));
    }

    private static void InspectEventPage(byte[] bytes, HostFileEntry entry, List<KeyValuePair<string, string>> fields)
    {
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(EventPageLayout.MagicOffset));
        if (magic != EventPageLayout.Magic)
        {
            throw new PvRingException($"Not an event page: path={entry.Path} magic=0x{magic:X8}.");
        }

        fields.Add(new("version", Number(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(EventPageLayout.VersionOffset)))));
        fields.Add(new("domain", Number(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(EventPageLayout.DomainIdOffset)))));
        AddOwner(entry, fields);
        fields.Add(new("open", BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(EventPageLayout.LiveOffset)) != 0 ? "yes" : "no (closed cleanly)"));
        fields.Add(new("upcall-pending", Number(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(EventPageLayout.UpcallPendingOffset)))));
        int bound = 0;
        for (int port = 1; port < EventPageLayout.MaxPorts; port++)
        {
            int entryOffset = EventPageLayout.PortTableOffset + (port * EventPageLayout.PortEntrySize);
            ulong binding = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(entryOffset + EventPageLayout.PortBindingOffset));
            if (binding == 0)
            {
                continue;
            }

            bound++;
            bool pending = (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(EventPageLayout.PendingOffset + ((port / 64) * 8))) & (1UL << (port % 64))) != 0;
            bool masked = (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(EventPageLayout.MaskOffset + ((port / 64) * 8))) & (1UL << (port % 64))) != 0;
            uint waiters = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(entryOffset + EventPageLayout.PortWaitersOffset));
            fields.Add(new(
                $"port {Number(port)}",
                string.Create(CultureInfo.InvariantCulture,
                    $"state={(byte)binding} remote-domain={(ushort)(binding >> 16)} remote-port={(uint)(binding >> 32)} pending={(pending ? 1 : 0)} masked={(masked ? 1 : 0)} sleepers={waiters & 0xFFFF} async-waiters={waiters >> 16}")));
        }

        fields.Add(new("ports-in-use", Number(bound)));
    }

    private static void InspectGrantTable(byte[] bytes, List<KeyValuePair<string, string>> fields)
    {
        fields.Add(new("magic", Hex(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(GrantTableLayout.MagicOffset)), GrantTableLayout.Magic)));
        fields.Add(new("version", Number(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(GrantTableLayout.VersionOffset)))));
        fields.Add(new("arena-frames", Number(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(GrantTableLayout.ArenaFramesOffset)))));
        int entries = bytes.Length / GrantTableLayout.EntrySize;
        int access = 0, readOnly = 0, reading = 0, writing = 0;
        for (int i = (int)GrantTableLayout.ReservedEntries; i < entries; i++)
        {
            var flags = (GrantEntryFlags)BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((i * GrantTableLayout.EntrySize) + GrantTableLayout.FlagsOffset));
            if ((flags & GrantEntryFlags.TypeMask) == GrantEntryFlags.PermitAccess)
            {
                access++;
                readOnly += (flags & GrantEntryFlags.ReadOnly) != 0 ? 1 : 0;
            }

            reading += (flags & GrantEntryFlags.Reading) != 0 ? 1 : 0;
            writing += (flags & GrantEntryFlags.Writing) != 0 ? 1 : 0;
        }

        fields.Add(new("entries", Number(entries)));
        fields.Add(new("granted", Number(access)));
        fields.Add(new("granted-read-only", Number(readOnly)));
        fields.Add(new("mapped-reading", Number(reading)));
        fields.Add(new("mapped-writing", Number(writing)));
    }

    private static void AddOwner(HostFileEntry entry, List<KeyValuePair<string, string>> fields)
    {
        fields.Add(new("owner-pid", entry.ProcessId is int pid ? Number(pid) : "unknown"));
        fields.Add(new("owner-alive", entry.ProcessAlive switch { true => "yes", false => "no (stale: its process is gone)", null => "unknown" }));
    }

    /// <summary>The owner recorded in an event page (pid and start time) and whether it still runs.</summary>
    private static (int? ProcessId, bool? Alive) ReadOwner(string eventPage)
    {
        try
        {
            using SafeFileHandle handle = OpenForReading(eventPage);
            Span<byte> header = stackalloc byte[EventPageLayout.LiveOffset];
            if (RandomAccess.Read(handle, header, 0) != header.Length || BinaryPrimitives.ReadUInt32LittleEndian(header) != EventPageLayout.Magic)
            {
                return (null, null);
            }

            int pid = BinaryPrimitives.ReadInt32LittleEndian(header[EventPageLayout.OwnerPidOffset..]);
            ulong start = BinaryPrimitives.ReadUInt64LittleEndian(header[EventPageLayout.OwnerStartTimeOffset..]);
            return (pid, OperatingSystem.IsLinux() ? PlatformServices.Liveness.IsAlive(new ProcessIdentity(pid, start)) : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PvRingException)
        {
            return (null, null);
        }
    }

    private static byte[] ReadAll(string path, HostFileEntry entry)
    {
        if (entry.Length is <= 0 or > 64L << 20)
        {
            throw new PvRingException($"Cannot inspect {path}: its size is {entry.Length} bytes.");
        }

        // A copy (pread, no mapping): a peer truncating the file meanwhile gives a short read, never a SIGBUS here.
        using SafeFileHandle handle = OpenForReading(path);
        var bytes = new byte[entry.Length];
        int read = 0;
        while (read < bytes.Length)
        {
            int n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
            {
                throw new PvRingException($"Cannot inspect {path}: it shrank to {read} bytes while being read.");
            }

            read += n;
        }

        return bytes;
    }

    /// <summary>
    /// Opens a file to read a copy: on Linux never through a symbolic link and never blocking (a FIFO planted at a name
    /// would hang <c>pvring ls</c>); anything but a regular file is the library's clear error.
    /// </summary>
    private static SafeFileHandle OpenForReading(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }

        int descriptor = LinuxInterop.Open(path, LinuxInterop.OpenReadOnlyFileFlags, out int error);
        if (descriptor < 0)
        {
            throw error == LinuxInterop.ENOENT
                ? new FileNotFoundException($"Could not find file '{path}'.", path)
                : new PvRingException($"Cannot read {path}: errno={error}{(error == LinuxInterop.ELOOP ? " (a symbolic link)" : string.Empty)}.");
        }

        var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        if (File.GetAttributes(handle) is var attributes && (attributes & (FileAttributes.Directory | FileAttributes.Device)) != 0)
        {
            handle.Dispose();
            throw new PvRingException($"Cannot read {path}: it is not a regular file (attributes={attributes}).");
        }

        return handle;
    }

    private static bool IsSocket(string path) => OperatingSystem.IsLinux() && LinuxInterop.IsSocket(path);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Hex(uint value, uint expected) =>
        string.Create(CultureInfo.InvariantCulture, $"0x{value:X8}{(value == expected ? string.Empty : $" (not 0x{expected:X8}: not written by this version)")}");

    [GeneratedRegex(@"^(arena|gnttab|evtchn)-([0-9]{1,5})$")]
    private static partial Regex DomainFile();

    [GeneratedRegex(@"^gntflush-([0-9]{1,5})-[0-9]{1,5}(-[0-9]{1,3})?$")]
    private static partial Regex FlushFile();
}
