// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.TestPeer;

/// <summary>
/// One role the test peer can play in a cross-process test. Implementations are found by reflection,
/// so adding a role means adding one file.
/// </summary>
internal interface IPeerVerb
{
    /// <summary>The first command-line argument that selects this role.</summary>
    string Name { get; }

    /// <summary>Runs the role with the remaining arguments; the result is the process exit code.</summary>
    int Run(string[] args);
}
