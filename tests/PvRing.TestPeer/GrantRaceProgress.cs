// Licensed under the MIT License. See LICENSE in the repository root.

using System.IO.MemoryMappedFiles;

namespace PvRing.TestPeer;

/// <summary>
/// A counter of the back's access attempts in a shared file, so the front of the revocation race can wait
/// (bounded) for the back to try each grant before revoking it: the two loops then really overlap.
/// </summary>
public sealed unsafe class GrantRaceProgress : IDisposable
{
    public const string FileName = "grant-race-progress";

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long* _counter;

    private GrantRaceProgress(MemoryMappedFile file)
    {
        _file = file;
        _view = file.CreateViewAccessor(0, 4096);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _counter = (long*)(pointer + _view.PointerOffset);
    }

    public long Value => Volatile.Read(ref *_counter);

    public static GrantRaceProgress Create(string path)
    {
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            stream.SetLength(4096);
        }

        return Open(path);
    }

    public static GrantRaceProgress Open(string path) =>
        new(MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 4096, MemoryMappedFileAccess.ReadWrite));

    public void Increment() => Interlocked.Increment(ref *_counter);

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
