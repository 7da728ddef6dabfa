// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics.CodeAnalysis;
using PvRing.Platform;

namespace PvRing.Memory;

/// <summary>
/// The emulated machine's memory: a private directory holding the files that domains share (ring files,
/// arenas, grant tables, event pages, the store socket).
/// </summary>
/// <remarks>
/// Design: the directory is created with mode 0700 and every file in it with 0600, so only the user who
/// runs both processes can map them; this enforces privacy against other users, not isolation between the
/// two processes (see docs/security.md). An existing directory whose mode lets group or others in is
/// refused rather than silently used. Names are single path components: no separators, no <c>..</c>,
/// nothing hidden, at most <see cref="MaxNameLength"/> characters. A directory made by <see cref="WithSealedMemory"/>
/// keeps no memory in files at all: creating, opening, testing and deleting shared memory go to its
/// <see cref="SealedMemory"/> (sealed memfds passed by descriptor), so a peer cannot truncate it and a crash leaves
/// nothing behind; only sockets and small files (the store pointer) live in the directory then.
/// </remarks>
public sealed class HostDirectory
{
    /// <summary>The longest file name accepted inside a host directory.</summary>
    public const int MaxNameLength = 200;

    /// <summary>The environment variable that overrides <see cref="DefaultPath"/>.</summary>
    public const string PathEnvironmentVariable = "PVRING_HOST";

    private readonly int? _peer;

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode ForeignAccess =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Opens (creating it if needed) the host directory at <paramref name="path"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="PvRingException">The path exists but is not a private directory.</exception>
    public HostDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        EnsurePrivateDirectory(Path);
    }

    private HostDirectory(HostDirectory directory, SealedMemory memory, int? peer = null)
    {
        Path = directory.Path;
        SealedMemory = memory;
        _peer = peer;
    }

    /// <summary>
    /// The sealed memory this directory's shared memory lives in (see <see cref="WithSealedMemory"/>), or null when it is
    /// files in the directory.
    /// </summary>
    public SealedMemory? SealedMemory { get; }

    /// <summary>
    /// The same directory, with its shared memory (what <see cref="CreateFile"/> creates and <see cref="OpenFile"/> opens)
    /// as sealed memfds in <paramref name="memory"/> instead of files: what the peer offered there is what opens.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is null.</exception>
    public HostDirectory WithSealedMemory(SealedMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return new HostDirectory(this, memory);
    }

    /// <summary>The absolute path of the directory.</summary>
    public string Path { get; }

    /// <summary>
    /// The default host directory: <c>$PVRING_HOST</c> if set, else <c>/dev/shm/pvring-&lt;uid&gt;</c> on Linux
    /// (a RAM-backed file system), else <c>pvring-&lt;user&gt;</c> under the temporary directory.
    /// </summary>
    public static string DefaultPath
    {
        get
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable(PathEnvironmentVariable);
            if (!string.IsNullOrEmpty(fromEnvironment))
            {
                return fromEnvironment;
            }

            if (OperatingSystem.IsLinux() && Directory.Exists("/dev/shm"))
            {
                return $"/dev/shm/pvring-{LinuxInterop.GetEffectiveUserId()}";
            }

            return System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pvring-{Environment.UserName}");
        }
    }

    /// <summary>Opens the host directory at <see cref="DefaultPath"/>, creating it if needed.</summary>
    public static HostDirectory OpenDefault() => new(DefaultPath);

    /// <summary>Returns the full path of <paramref name="name"/> in this directory after validating the name.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid file name (see <see cref="ValidateName"/>).</exception>
    public string GetFilePath(string name)
    {
        ValidateName(name);
        return System.IO.Path.Combine(Path, name);
    }

    /// <summary>Returns whether a file called <paramref name="name"/> exists in this directory.</summary>
    /// <remarks>With <see cref="SealedMemory"/>: whether memory of that name is held there.</remarks>
    public bool Exists(string name) => SealedMemory is SealedMemory memory ? memory.Contains(Own(CheckedName(name))) : File.Exists(GetFilePath(name));

    /// <summary>Deletes <paramref name="name"/> if it exists (a link itself, never its target; never a directory). Mappings already made stay valid.</summary>
    /// <remarks>With <see cref="SealedMemory"/>: drops the descriptor held under that name.</remarks>
    public void Delete(string name)
    {
        if (SealedMemory is SealedMemory memory)
        {
            memory.Remove(Own(CheckedName(name)));
        }
        else
        {
            string path = GetFilePath(name);
            if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
            {
                return; // a directory at a file's name is not the library's (planted, or made by hand): left alone
            }

            PrivateFiles.DeleteIfPresent(path);
        }
    }

    /// <summary>
    /// Creates a new file of <paramref name="length"/> bytes (a whole number of <see cref="XenPage"/>s),
    /// mode 0600, zero-filled, and maps it. Fails if the file exists.
    /// </summary>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is not a positive multiple of 4096.</exception>
    /// <exception cref="PvRingException">The file exists already or cannot be created.</exception>
    /// <remarks>With <see cref="SealedMemory"/>: a sealed memfd, offered to the peer at once.</remarks>
    public SharedMemoryFile CreateFile(string name, long length) =>
        SealedMemory is SealedMemory memory ? memory.Create(Own(name), length, publish: true) : SharedMemoryFile.Create(GetFilePath(name), length);

    /// <summary>
    /// Creates a file under a hidden temporary name that no reader looks for; <see cref="PublishTemporary"/>
    /// renames it to <paramref name="name"/> once its contents are ready, so a reader never sees half a file.
    /// </summary>
    internal SharedMemoryFile CreateTemporaryFile(string name, long length, out string temporaryPath)
    {
        ValidateName(name);
        if (SealedMemory is SealedMemory memory)
        {
            // Not offered to the peer until published: the same "never half a file" as the rename.
            temporaryPath = Own(name);
            return memory.Create(temporaryPath, length, publish: false);
        }

        temporaryPath = System.IO.Path.Combine(Path, $".{name}.{Environment.ProcessId}.tmp");
        File.Delete(temporaryPath);
        return SharedMemoryFile.Create(temporaryPath, length);
    }

    /// <summary>Atomically gives a temporary file its final <paramref name="name"/>; fails if that name is taken.</summary>
    /// <exception cref="PvRingException">A file called <paramref name="name"/> exists already.</exception>
    internal void PublishTemporary(string temporaryPath, string name)
    {
        if (SealedMemory is SealedMemory memory)
        {
            memory.Publish(Own(name));
            return;
        }

        string path = GetFilePath(name);
        try
        {
            File.Move(temporaryPath, path, overwrite: false);
        }
        catch (IOException e) when (File.Exists(path) || Directory.Exists(path))
        {
            File.Delete(temporaryPath);
            throw new PvRingException($"Cannot publish '{path}': the file exists already (a stale ring? remove it first).", e);
        }
    }

    /// <summary>
    /// Maps an existing file. When <paramref name="expectedLength"/> is given the file must have exactly that
    /// size; otherwise any positive multiple of 4096 is accepted.
    /// </summary>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="PvRingException">The file's size is wrong.</exception>
    /// <remarks>
    /// With <see cref="SealedMemory"/>: maps the descriptor the peer sent under that name, waiting at most
    /// <see cref="Memory.SealedMemory.OpenTimeout"/> for it; a descriptor that never came, was refused or has the wrong size
    /// is a <see cref="PvRingException"/>.
    /// </remarks>
    public SharedMemoryFile OpenFile(string name, long? expectedLength = null) =>
        SealedMemory is SealedMemory memory ? memory.Open(Own(CheckedName(name)), expectedLength) : SharedMemoryFile.Open(GetFilePath(name), expectedLength);

    /// <summary>
    /// A descriptor of the shared memory <paramref name="name"/>, for mapping pieces of it with <c>mmap</c> (the grant
    /// mappers): the file, opened read-write, or a duplicate of the sealed memfd.
    /// </summary>
    internal Microsoft.Win32.SafeHandles.SafeFileHandle OpenFileHandle(string name) =>
        SealedMemory is SealedMemory memory
            ? memory.OpenHandle(Own(CheckedName(name)))
            : SharedMemoryFile.OpenExistingHandle(GetFilePath(name));

    /// <summary>
    /// A view of this sealed-memory directory for one peer: the memory of this process's own domain made through it
    /// (<c>evtchn-0</c> for a listener) is created, found and removed as that peer's alone (<see cref="SealedMemory.ForPeer"/>)
    /// and offered to no other peer; the peer's memory is opened as through this directory.
    /// </summary>
    /// <param name="peer">The peer's domain id.</param>
    /// <returns>The view; <see cref="Path"/> and <see cref="SealedMemory"/> are this directory's.</returns>
    /// <exception cref="InvalidOperationException">The directory holds files, not sealed memory.</exception>
    public HostDirectory ForPeer(int peer) =>
        SealedMemory is SealedMemory memory ? new HostDirectory(this, memory, peer) : throw new InvalidOperationException("Only sealed memory is made per peer.");

    /// <summary>The name this view keeps <paramref name="name"/> under: the peer's own for memory of the local domain.</summary>
    private string Own(string name) =>
        _peer is int peer && SealedMemory is SealedMemory memory && SealedMemory.TryGetOwnerDomain(name, peer, out int owner) && owner == memory.LocalDomainId
            ? SealedMemory.ForPeer(name, peer)
            : name;

    private static string CheckedName(string name)
    {
        ValidateName(name);
        return name;
    }

    /// <summary>
    /// Checks that <paramref name="name"/> can name a file in a host directory: not empty, at most
    /// <see cref="MaxNameLength"/> characters, no path separator, no <c>..</c>, not hidden (leading '.'),
    /// no control characters.
    /// </summary>
    /// <exception cref="ArgumentException">The name breaks one of these rules; the message says which.</exception>
    public static void ValidateName([NotNull] string? name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string? problem = name.Length == 0 ? "it is empty"
            : name.Length > MaxNameLength ? $"it is {name.Length} characters long; the limit is {MaxNameLength}"
            : name.IndexOfAny(['/', '\\']) >= 0 ? "it contains a path separator"
            : name.Contains("..", StringComparison.Ordinal) ? "it contains '..'"
            : name[0] == '.' ? "it starts with '.' (names starting with '.' are reserved for temporaries)"
            : name.Any(char.IsControl) ? "it contains a control character"
            : null;
        if (problem is not null)
        {
            throw new ArgumentException($"Invalid host file name '{name}': {problem}.", nameof(name));
        }
    }

    private static void EnsurePrivateDirectory(string path)
    {
        var info = new DirectoryInfo(path);
        if (!info.Exists)
        {
            if (File.Exists(path))
            {
                throw new PvRingException($"Host directory path '{path}' is a file, not a directory.");
            }

            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(path);
            }
            else
            {
                Directory.CreateDirectory(path, DirectoryMode);
            }

            info.Refresh();
        }

        if (info.LinkTarget is not null)
        {
            throw new PvRingException($"Host directory '{path}' is a symbolic link; PvRing needs a real directory.");
        }

        if (OperatingSystem.IsLinux() && LinuxInterop.GetOwnerUserId(path) is uint owner && owner != LinuxInterop.GetEffectiveUserId())
        {
            // A private directory another user made first would let that user replace or read every file in it.
            throw new PvRingException(
                $"Host directory '{path}' belongs to user {owner}, not to this process's user {LinuxInterop.GetEffectiveUserId()}; " +
                "PvRing uses only a directory of its own user (remove it, or choose another with PVRING_HOST).");
        }

        if (!OperatingSystem.IsWindows() && (info.UnixFileMode & ForeignAccess) != 0)
        {
            throw new PvRingException(
                $"Host directory '{path}' has mode {Convert.ToString((int)info.UnixFileMode, 8)}; PvRing requires 700 " +
                $"so that other users cannot map its files (run: chmod 700 '{path}').");
        }
    }
}
