// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Platform;

/// <summary>File clean-up shared by the layers that leave files in a private directory (memory, store).</summary>
internal static class PrivateFiles
{
    /// <summary>
    /// Deletes the file at <paramref name="path"/> if it is there: nothing when it is gone, its directory with it (a
    /// temporary-files reaper, or an application's own clean-up, that came before the dispose).
    /// </summary>
    public static void DeleteIfPresent(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // The directory went first, and the file with it.
        }
    }
}
