// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Tool;

/// <summary>The process exit codes, after BSD's sysexits.h.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 64;
    public const int Unavailable = 69;
}
