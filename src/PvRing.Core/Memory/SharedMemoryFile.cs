// Licensed under the MIT License. See LICENSE in the repository root.

using System.IO.MemoryMappedFiles;
using PvRing.Platform;

namespace PvRing.Memory;

/// <summary>
/// A file of whole <see cref="XenPage"/>s mapped read-write into this process: the memory two processes
/// share. Create and open it through a <see cref="HostDirectory"/>.
/// </summary>
/// <remarks>
/// Design: the view's pointer is acquired once (adding <c>PointerOffset</c>) and released on
/// <see cref="Dispose"/>. Objects built over the mapping (rings) take a lease on it, so the pages stay
/// mapped until the last of them is disposed too: disposing the file first never leaves a ring pointing at
/// unmapped memory.
/// </remarks>
public sealed unsafe class SharedMemoryFile : IDisposable
{
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _namedFile;
    private readonly TruncationRecord _truncation = new();
    private byte* _pointer;
    private int _disposed;

    private SharedMemoryFile(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, long length, Microsoft.Win32.SafeHandles.SafeFileHandle? namedFile)
    {
        Path = path;
        _namedFile = namedFile;
        Length = length;
        _file = file;
        _view = view;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + view.PointerOffset;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The mapped length in bytes, a multiple of <see cref="XenPage.Size"/>.</summary>
    public long Length { get; }

    /// <summary>The number of 4 KiB pages mapped.</summary>
    public long PageCount => Length >> XenPage.Shift;

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The first byte of the mapping; valid while the file or a lease on it is alive.</summary>
    internal byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _pointer;
        }
    }

    /// <summary>A span over <paramref name="length"/> bytes at <paramref name="offset"/> of the mapping.</summary>
    internal Span<byte> GetSpan(long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, Length);
        return new Span<byte>(Pointer + offset, length);
    }

    /// <summary>
    /// Keeps the pages mapped until the returned lease is disposed, even if this file is disposed first. For a named file
    /// (one a peer could truncate) the lease can check its size (<see cref="MappingLease.CheckIntact"/>).
    /// </summary>
    internal MappingLease Lease() => MappingLease.Acquire(_view.SafeMemoryMappedViewHandle, CreateGuard());

    /// <summary>
    /// As <see cref="Lease()"/>, with the size checks of <paramref name="domainFiles"/> (which include this file's) in place
    /// of a guard of its own: a ring in a domain's arena checks the domain's grant table too.
    /// </summary>
    internal MappingLease Lease(TruncationGuardSet domainFiles) => MappingLease.Acquire(_view.SafeMemoryMappedViewHandle, guard: null, domainFiles);

    /// <summary>
    /// A size check of the file under this mapping, or null for sealed memory (which nobody can truncate); its errors name
    /// <paramref name="publishedPath"/> when the file was created under a temporary name and renamed since.
    /// </summary>
    internal TruncationGuard? CreateGuard(string? publishedPath = null) =>
        _namedFile is null || IsDisposed ? null : TruncationGuard.Create(_namedFile, Length, publishedPath ?? Path, _truncation);

    /// <summary>Unmaps the file (once every lease is also gone) and closes it. The file stays on disk.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _pointer = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    internal static SharedMemoryFile Create(string path, long length)
    {
        ValidateLength(length, nameof(length));
        var options = new FileStreamOptions
        {
            Mode = System.IO.FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(path, options);
        }
        catch (IOException e)
        {
            // Something at the name already (a file, a link, a FIFO, a directory), or the file system refused.
            throw new PvRingException(
                File.Exists(path) || Directory.Exists(path) ? $"Cannot create '{path}': the file exists already." : $"Cannot create '{path}': {e.Message}", e);
        }

        try
        {
            stream.SetLength(length);
            return Map(path, stream, length);
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
    }

    internal static SharedMemoryFile Open(string path, long? expectedLength)
    {
        if (expectedLength is long expected)
        {
            ValidateLength(expected, nameof(expectedLength));
        }

        FileStream stream = OpenExisting(path);
        try
        {
            if (!stream.CanSeek)
            {
                throw new PvRingException($"'{path}' is not a regular file (a FIFO or a device?): PvRing maps only files it or its peer created.");
            }

            long length = stream.Length;
            if (expectedLength is long wanted && length != wanted)
            {
                throw new PvRingException($"'{path}' has the wrong size: length={length}, expected={wanted}.");
            }

            if (length <= 0 || length % XenPage.Size != 0)
            {
                throw new PvRingException($"'{path}' is not a whole number of 4096-byte pages: length={length}.");
            }

            return Map(path, stream, length);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a file another process created, for mapping. On Linux never through a symbolic link (<c>O_NOFOLLOW</c>: a
    /// link planted at the name would make this process map, and write, a file outside the host directory) and never
    /// blocking (a FIFO); a socket, a link or a FIFO is the library's clear error, a missing file
    /// <see cref="FileNotFoundException"/> as before.
    /// </summary>
    private static FileStream OpenExisting(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new FileStream(path, System.IO.FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }

        Microsoft.Win32.SafeHandles.SafeFileHandle handle = OpenExistingHandle(path);
        try
        {
            return new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// As <see cref="OpenExisting"/>, the descriptor only (the grant mappers' own <c>mmap</c> of an arena): never through
    /// a symbolic link, never blocking on a FIFO; a socket, a link or a FIFO is the library's clear error.
    /// </summary>
    internal static Microsoft.Win32.SafeHandles.SafeFileHandle OpenExistingHandle(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.OpenHandle(path, System.IO.FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }

        int descriptor = LinuxInterop.Open(path, LinuxInterop.OpenSharedFileFlags, out int error);
        if (descriptor < 0)
        {
            throw error switch
            {
                LinuxInterop.ENOENT => new FileNotFoundException($"Could not find file '{path}'.", path),
                LinuxInterop.EACCES => new PvRingException($"'{path}' cannot be opened for reading and writing: errno=EACCES (its mode denies this user; PvRing creates its files 0600)."),
                LinuxInterop.ELOOP => new PvRingException($"'{path}' is a symbolic link: PvRing maps only files it or its peer created in the host directory."),
                LinuxInterop.ENXIO => new PvRingException($"'{path}' is a socket or a device, not a shared-memory file."),
                _ => new PvRingException($"Cannot open '{path}': errno={error}."),
            };
        }

        return new Microsoft.Win32.SafeHandles.SafeFileHandle(descriptor, ownsHandle: true);
    }

    /// <summary>
    /// Maps a descriptor this object takes over (a sealed memfd, see <see cref="SealedMemory"/>); <paramref name="name"/>
    /// stands for the path in messages.
    /// </summary>
    internal static SharedMemoryFile Map(string name, Microsoft.Win32.SafeHandles.SafeFileHandle handle, long length)
    {
        ValidateLength(length, nameof(length));
        MemoryMappedFile file = MemoryMappedFile.CreateFromFile(
            handle, mapName: null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        try
        {
            MemoryMappedViewAccessor view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
            return new SharedMemoryFile(name, file, view, length, namedFile: null);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static SharedMemoryFile Map(string path, FileStream stream, long length)
    {
        MemoryMappedFile file = MemoryMappedFile.CreateFromFile(
            stream, mapName: null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        try
        {
            MemoryMappedViewAccessor view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
            return new SharedMemoryFile(path, file, view, length, stream.SafeFileHandle);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static void ValidateLength(long length, string parameterName)
    {
        if (length <= 0 || length % XenPage.Size != 0)
        {
            throw new ArgumentOutOfRangeException(parameterName, length, "The length must be a positive multiple of 4096 bytes.");
        }
    }
}
