// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness;

/// <summary>Finds files of the source tree the harness needs (the C peer's source) from wherever it runs.</summary>
internal static class Repository
{
    public static string Root
    {
        get
        {
            foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            {
                for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
                {
                    if (File.Exists(Path.Combine(d.FullName, "PvRing.sln")))
                    {
                        return d.FullName;
                    }
                }
            }

            throw new InvalidOperationException("Run the harness from inside the PvRing source tree (PvRing.sln not found).");
        }
    }

    /// <summary>The default folder for result tables: artifacts/harness under the repository root.</summary>
    public static string ResultsDirectory => Path.Combine(Root, "artifacts", "harness");
}
