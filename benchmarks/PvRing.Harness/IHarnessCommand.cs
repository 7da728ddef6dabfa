// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Harness;

/// <summary>
/// One measurement the harness can run (`PvRing.Harness &lt;name&gt; [options]`). Found by reflection,
/// so adding a measurement means adding one file.
/// </summary>
internal interface IHarnessCommand
{
    /// <summary>The verb that selects the command.</summary>
    string Name { get; }

    /// <summary>One line for the usage text.</summary>
    string Summary { get; }

    /// <summary>Runs the measurement; the result is the process exit code.</summary>
    int Run(string[] args);
}
