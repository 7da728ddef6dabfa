// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using PvRing.Platform;

namespace PvRing.Memory;

/// <summary>
/// Shared memory a peer cannot pull away: this process's named memory as sealed memfds, handed to the peer domain by
/// descriptor passing over a Unix socket instead of files in the host directory. A <see cref="HostDirectory"/> made with
/// <see cref="HostDirectory.WithSealedMemory"/> creates and opens its arenas, grant tables, event pages and flush pages
/// here. Linux only.
/// </summary>
/// <remarks>
/// <para>
/// Design: creating memory is <c>memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING)</c>, <c>ftruncate</c> and
/// <c>F_ADD_SEALS(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)</c>, mapped <c>MAP_SHARED</c>; publishing it sends the
/// descriptor with its name (<c>SCM_RIGHTS</c>) to every peer of the exchange; opening a peer's memory takes the
/// descriptor it sent under that name, waiting at most <see cref="OpenTimeout"/>. A received descriptor is checked before
/// anything maps it: a memfd (<c>/proc/self/fd</c> names it <c>/memfd:</c>), a regular file whose seals include
/// SHRINK, GROW and SEAL and not WRITE (so nobody, its creator included, can change its size, and we can write it), its
/// size the one announced and later the one the layout expects, its name one of the sending domain's own
/// (<c>arena-N</c>, <c>gnttab-N</c>, <c>evtchn-N</c>, <c>gntflush-N-B[-Q]</c>). A bad offer is refused: the peer gets the
/// reason, the exchange with it ends, and opening that name fails with it. Nothing lies in the directory, so nothing is
/// left after a crash: memory lives as long as a process maps it or holds its descriptor.
/// </para>
/// <para>
/// The exchange (<see cref="Listen"/> on one side, <see cref="ConnectAsync"/> on the other) is one Unix stream socket,
/// mode 0600, per listening domain. A connecting domain says who it is (hello); the listener accepts it only when it was
/// admitted (<see cref="Admit"/>) with the process id that <c>SO_PEERCRED</c> reports, once, and answers with a welcome
/// and its own published memory; then each side offers what it publishes as it publishes it.
/// </para>
/// </remarks>
public sealed partial class SealedMemory : IDisposable
{
    /// <summary>The default of <see cref="OpenTimeout"/>: how long opening waits for the peer's descriptor.</summary>
    public static readonly TimeSpan DefaultOpenTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The most names one peer may offer (a device's memory plus a flush page per queue).</summary>
    internal const int MaxNamesPerPeer = 4 + 256;

    /// <summary>The largest memory a peer may offer (64 GiB: far above any arena, and a bound on the address space a peer can make us map).</summary>
    internal const long MaxLength = 1L << 36;

    /// <summary>Between a local name and the one peer its memory is for (<see cref="ForPeer"/>).</summary>
    private const char PeerSeparator = '@';

    private const int RequiredSeals = LinuxInterop.SealShrink | LinuxInterop.SealGrow | LinuxInterop.SealSeal;
    private const int WriteSeals = LinuxInterop.SealWrite | LinuxInterop.SealFutureWrite;

    private readonly object _lock = new();
    private readonly Dictionary<string, LocalMemory> _local = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RemoteMemory> _remote = new(StringComparer.Ordinal);
    private readonly Dictionary<int, string> _ended = [];
    private readonly Dictionary<int, int> _admitted = [];
    private readonly Dictionary<int, Peer> _peers = [];
    private readonly List<Peer> _connecting = [];
    private readonly string? _socketPath;
    private readonly Socket? _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting = Task.CompletedTask;
    private int _disposed;

    private SealedMemory(int localDomainId, TimeSpan openTimeout, string? socketPath, Socket? listener)
    {
        LocalDomainId = localDomainId;
        OpenTimeout = openTimeout;
        _socketPath = socketPath;
        _listener = listener;
        if (listener is not null)
        {
            _accepting = AcceptAsync(listener, _stop.Token);
        }
    }

    /// <summary>The domain whose memory this process creates here.</summary>
    public int LocalDomainId { get; }

    /// <summary>How long opening a peer's memory waits for its descriptor before failing.</summary>
    public TimeSpan OpenTimeout { get; internal set; }

    /// <summary>
    /// Listens at <paramref name="socketPath"/> (a Unix socket created mode 0600, replacing nothing: the path must be free)
    /// as domain <paramref name="localDomainId"/>; peers are accepted once <see cref="Admit"/>ted.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="socketPath"/> is empty.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    /// <exception cref="PvRingException">The socket cannot be created.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="localDomainId"/> is not a domain id (0 to 32751).</exception>
    public static SealedMemory Listen(string socketPath, int localDomainId, TimeSpan? openTimeout = null)
    {
        DomainIds.Check(localDomainId);
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ThrowIfNotLinux();
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(64);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new PvRingException($"Cannot listen for the memory exchange: path={socketPath}, error={e.SocketErrorCode}.", e);
        }

        return new SealedMemory(localDomainId, openTimeout ?? DefaultOpenTimeout, socketPath, listener);
    }

    /// <summary>
    /// Connects to the exchange at <paramref name="socketPath"/> as domain <paramref name="localDomainId"/> and waits, at
    /// most <paramref name="timeout"/>, for the listener (domain <paramref name="peerDomainId"/>) to welcome it.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    /// <exception cref="PvRingException">Nobody listens, the listener refused (the message says why), or it did not answer in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="localDomainId"/> or <paramref name="peerDomainId"/> is not a domain id (0 to 32751).</exception>
    public static async Task<SealedMemory> ConnectAsync(
        string socketPath, int localDomainId, int peerDomainId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        DomainIds.Check(localDomainId);
        DomainIds.Check(peerDomainId);
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ThrowIfNotLinux();
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new PvRingException($"No memory exchange answered: path={socketPath}, error={e.SocketErrorCode}.", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var memory = new SealedMemory(localDomainId, DefaultOpenTimeout, null, null);
        try
        {
            Peer peer = memory.StartConnected(socket, peerDomainId);
            try
            {
                await peer.Welcomed.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                throw new PvRingException($"The memory exchange did not welcome this domain: path={socketPath}, domain={localDomainId}, timeout={timeout.TotalSeconds:0.###} s.", e);
            }

            return memory;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Lets domain <paramref name="domainId"/>, run by process <paramref name="processId"/>, connect once (the listener
    /// side's toolstack does this when it hands the domain out).
    /// </summary>
    /// <exception cref="InvalidOperationException">This side does not listen.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="domainId"/> is not a domain id (0 to 32751).</exception>
    public void Admit(int domainId, int processId)
    {
        DomainIds.Check(domainId);
        if (_listener is null)
        {
            throw new InvalidOperationException("Only the listening side admits domains.");
        }

        lock (_lock)
        {
            _admitted[domainId] = processId;
            _ended.Remove(domainId);
        }
    }

    /// <summary>
    /// Ends the exchange with domain <paramref name="domainId"/> and drops the descriptors it sent (mappings made from
    /// them stay valid until unmapped); it can no longer connect.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="domainId"/> is not a domain id (0 to 32751).</exception>
    public void Forget(int domainId)
    {
        DomainIds.Check(domainId);
        Peer? peer;
        lock (_lock)
        {
            _admitted.Remove(domainId);
            _peers.TryGetValue(domainId, out peer);
        }

        peer?.Close();
        lock (_lock)
        {
            DropRemoteLocked(domainId, "the toolstack forgot the domain", keepRefusals: false);
        }
    }

    /// <summary>Ends every exchange, closes every descriptor held here, and removes the listening socket.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _listener?.Dispose();
        try
        {
            _accepting.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The accept loop failed: there is nothing more to stop there.
        }

        Peer[] peers;
        lock (_lock)
        {
            peers = [.. _peers.Values, .. _connecting];
        }

        foreach (Peer peer in peers)
        {
            peer.Close();
            peer.Join();
        }

        lock (_lock)
        {
            foreach (LocalMemory local in _local.Values)
            {
                local.Handle.Dispose();
            }

            foreach (RemoteMemory remote in _remote.Values)
            {
                remote.Handle?.Dispose();
            }

            _local.Clear();
            _remote.Clear();
            Monitor.PulseAll(_lock);
        }

        if (_socketPath is not null)
        {
            PrivateFiles.DeleteIfPresent(_socketPath);
        }

        _stop.Dispose();
    }

    /// <summary>Creates sealed memory of <paramref name="length"/> bytes under <paramref name="name"/>, mapped; offered to peers only once <see cref="Publish"/>ed.</summary>
    internal SharedMemoryFile Create(string name, long length, bool publish)
    {
        HostDirectory.ValidateName(name);
        if (length <= 0 || length % XenPage.Size != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The length must be a positive multiple of 4096 bytes.");
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        SafeFileHandle handle = CreateSealed(Scope(name).Offered, length); // the kernel's name is the one the peer knows
        SharedMemoryFile file;
        try
        {
            file = SharedMemoryFile.Map(DisplayName(name), Duplicate(handle, name), length);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        lock (_lock)
        {
            if (_local.ContainsKey(name))
            {
                handle.Dispose();
                file.Dispose();
                throw new PvRingException($"Cannot create sealed memory: name={name} exists already in domain {LocalDomainId}.");
            }

            _local.Add(name, new LocalMemory(handle, length));
        }

        if (publish)
        {
            Publish(name);
        }

        return file;
    }

    /// <summary>
    /// Offers the memory created under <paramref name="name"/> to every peer, now and as they connect; memory created
    /// under a peer's own name (<see cref="ForPeer"/>) goes to that peer only, under the plain name.
    /// </summary>
    internal void Publish(string name)
    {
        Peer[] peers;
        LocalMemory local;
        (string offered, int? only) = Scope(name);
        lock (_lock)
        {
            if (!_local.TryGetValue(name, out LocalMemory? found))
            {
                throw new PvRingException($"Cannot publish sealed memory that was not created: name={name}.");
            }

            local = found;
            local.Published = true;
            peers = only is int domain ? (_peers.TryGetValue(domain, out Peer? one) ? [one] : []) : [.. _peers.Values];
        }

        foreach (Peer peer in peers)
        {
            peer.SendOffer(offered, local);
        }
    }

    /// <summary>
    /// The local name of memory offered to <paramref name="peer"/> only, as <paramref name="name"/> (<c>NAME@PEER</c>):
    /// what a listener gives each front of its own (its event page), so that what one front writes there reaches no other.
    /// </summary>
    internal static string ForPeer(string name, int peer) => string.Create(CultureInfo.InvariantCulture, $"{name}{PeerSeparator}{peer}");

    /// <summary>The name a local memory is offered under, and the one peer it is offered to (null: every peer).</summary>
    private static (string Offered, int? Peer) Scope(string name)
    {
        int at = name.LastIndexOf(PeerSeparator);
        return at > 0 && TryParseNumber(name[(at + 1)..], ushort.MaxValue, out int peer) ? (name[..at], peer) : (name, null);
    }

    /// <summary>Whether local memory <paramref name="name"/> is offered to <paramref name="domain"/>.</summary>
    private static bool OfferedTo(string name, int domain) => Scope(name).Peer is not int only || only == domain;

    /// <summary>
    /// Maps the memory the peer offered under <paramref name="name"/> (or this process's own), waiting at most
    /// <see cref="OpenTimeout"/> for it. With <paramref name="expectedLength"/>, its size must be exactly that.
    /// </summary>
    /// <exception cref="PvRingException">It never came, the offer was refused, the peer's exchange ended first, or the size is wrong.</exception>
    internal SharedMemoryFile Open(string name, long? expectedLength)
    {
        SafeFileHandle handle = TakeHandle(name, out long length);
        try
        {
            if (expectedLength is long wanted && length != wanted)
            {
                throw new PvRingException($"The peer's memory has the wrong size: name={name}, length={length}, expected={wanted}.");
            }

            return SharedMemoryFile.Map(DisplayName(name), handle, length);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A new descriptor of the memory under <paramref name="name"/> (for the grant mappers' own <c>mmap</c>), waiting as <see cref="Open"/> does.</summary>
    internal SafeFileHandle OpenHandle(string name) => TakeHandle(name, out _);

    /// <summary>A duplicate of the descriptor held under <paramref name="name"/>, waiting at most <see cref="OpenTimeout"/> for the peer to send it.</summary>
    private SafeFileHandle TakeHandle(string name, out long length)
    {
        HostDirectory.ValidateName(name);
        long deadline = Environment.TickCount64 + (long)OpenTimeout.TotalMilliseconds;
        lock (_lock)
        {
            while (true)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                if (_local.TryGetValue(name, out LocalMemory? local))
                {
                    length = local.Length;
                    return Duplicate(local.Handle, name);
                }

                if (_remote.TryGetValue(name, out RemoteMemory? remote))
                {
                    if (remote.Handle is null)
                    {
                        throw new PvRingException($"The peer's memory was refused: name={name}, domain={remote.DomainId}. {remote.Refusal}");
                    }

                    length = remote.Length;
                    return Duplicate(remote.Handle, name);
                }

                if (TryGetOwnerDomain(name, LocalDomainId, out int owner) && _ended.TryGetValue(owner, out string? why))
                {
                    throw new PvRingException($"The peer's memory never came: name={name}, domain={owner}; its memory exchange ended ({why}).");
                }

                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    throw new PvRingException($"The peer's memory never came: name={name}, timeout={OpenTimeout.TotalSeconds:0.###} s (the peer sent no descriptor under that name).");
                }

                Monitor.Wait(_lock, (int)Math.Min(left, int.MaxValue));
            }
        }
    }

    /// <summary>Whether memory called <paramref name="name"/> is held here (created, or received and not refused).</summary>
    internal bool Contains(string name)
    {
        lock (_lock)
        {
            return _local.ContainsKey(name) || (_remote.TryGetValue(name, out RemoteMemory? remote) && remote.Handle is not null);
        }
    }

    /// <summary>Drops the descriptor held under <paramref name="name"/>; mappings made from it stay valid.</summary>
    internal void Remove(string name)
    {
        lock (_lock)
        {
            if (_local.Remove(name, out LocalMemory? local))
            {
                local.Handle.Dispose();
            }

            if (_remote.Remove(name, out RemoteMemory? remote))
            {
                remote.Handle?.Dispose();
            }
        }
    }

    /// <summary>
    /// The domain whose memory <paramref name="name"/> is, as seen by domain <paramref name="receiver"/>: <c>arena-N</c>,
    /// <c>gnttab-N</c>, <c>evtchn-N</c> are N's; <c>gntflush-N-B</c> and <c>gntflush-N-B-Q</c> (Q 1 to 255) are N's when
    /// B is the receiver. Numbers are decimal without leading zeros.
    /// </summary>
    internal static bool TryGetOwnerDomain(string name, int receiver, out int owner)
    {
        owner = 0;
        string[] parts = name.Split('-');
        if (parts.Length < 2 || !TryParseNumber(parts[1], ushort.MaxValue, out int domain))
        {
            return false;
        }

        bool valid = parts[0] switch
        {
            "arena" or "gnttab" or "evtchn" => parts.Length == 2,
            "gntflush" => parts.Length is 3 or 4 && TryParseNumber(parts[2], ushort.MaxValue, out int back) && back == receiver
                && (parts.Length == 3 || (TryParseNumber(parts[3], 255, out int queue) && queue >= 1)),
            _ => false,
        };
        owner = domain;
        return valid;
    }

    private static bool TryParseNumber(string text, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= max
        && (text.Length == 1 || text[0] != '0');

    private static SafeFileHandle CreateSealed(string name, long length)
    {
        int fd = LinuxInterop.MemfdCreate("pvring:" + name, LinuxInterop.MemfdCloseOnExec | LinuxInterop.MemfdAllowSealing);
        if (fd < 0)
        {
            throw new PvRingException($"memfd_create failed: name={name}, errno={System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}.");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        int error = LinuxInterop.Ftruncate(fd, length) == 0 ? 0 : System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (error == 0)
        {
            error = LinuxInterop.AddSeals(fd, RequiredSeals);
        }

        if (error != 0)
        {
            handle.Dispose();
            throw new PvRingException($"Cannot size and seal a memfd: name={name}, length={length}, errno={error}.");
        }

        return handle;
    }

    /// <summary>Why a received descriptor must not be mapped, or null when it is sealed memory of <paramref name="length"/> bytes.</summary>
    internal static string? CheckDescriptor(int fd, long length)
    {
        if (!LinuxInterop.TryGetFileSize(fd, out bool regular, out long size))
        {
            return "its type and size cannot be read (statx failed)";
        }

        if (!regular)
        {
            return "it is not a regular file (a socket, a pipe or a device?)";
        }

        string? target = null;
        try
        {
            target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
        }

        if (target is null || !target.StartsWith("/memfd:", StringComparison.Ordinal))
        {
            return $"it is not a memfd: file={target ?? "?"}";
        }

        int seals = LinuxInterop.GetSeals(fd, out int error);
        if (seals < 0)
        {
            return $"its seals cannot be read: errno={error}";
        }

        if ((seals & RequiredSeals) != RequiredSeals)
        {
            return $"it is not sealed against resizing: seals=0x{seals:X}, required=0x{RequiredSeals:X} (F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL; a peer that may shrink it could crash this process)";
        }

        if ((seals & WriteSeals) != 0)
        {
            return $"it is sealed against writing: seals=0x{seals:X} (shared memory must stay writable)";
        }

        if (size != length)
        {
            return $"its size is not the one announced: length={size}, announced={length}";
        }

        if (size <= 0 || size % XenPage.Size != 0)
        {
            return $"it is not a whole number of 4096-byte pages: length={size}";
        }

        if (size > MaxLength)
        {
            return $"it is larger than any PvRing memory: length={size}, limit={MaxLength}";
        }

        return null;
    }

    private static SafeFileHandle Duplicate(SafeFileHandle handle, string name)
    {
        int fd = LinuxInterop.Duplicate((int)handle.DangerousGetHandle());
        return fd < 0
            ? throw new PvRingException($"Cannot duplicate a memfd: name={name}, errno={System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}.")
            : new SafeFileHandle(fd, ownsHandle: true);
    }

    private static string DisplayName(string name) => $"memfd:pvring:{name}";

    private static void ThrowIfNotLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Sealed memory (memfd_create, file seals, SCM_RIGHTS) is Linux only.");
        }
    }

    /// <summary>Drops what domain <paramref name="domainId"/> sent and records why its exchange ended.</summary>
    private void DropRemoteLocked(int domainId, string why, bool keepRefusals)
    {
        foreach (string name in _remote.Where(e => e.Value.DomainId == domainId).Select(e => e.Key).ToArray())
        {
            RemoteMemory remote = _remote[name];
            if (remote.Handle is null && keepRefusals)
            {
                continue;
            }

            remote.Handle?.Dispose();
            _remote.Remove(name);
        }

        _ended[domainId] = why;
        Monitor.PulseAll(_lock);
    }

    private sealed class LocalMemory(SafeFileHandle handle, long length)
    {
        public SafeFileHandle Handle { get; } = handle;

        public long Length { get; } = length;

        public bool Published { get; set; }
    }

    private sealed class RemoteMemory(int domainId, SafeFileHandle? handle, long length, string? refusal)
    {
        public int DomainId { get; } = domainId;

        public SafeFileHandle? Handle { get; } = handle;

        public long Length { get; } = length;

        public string? Refusal { get; } = refusal;
    }
}
