// Licensed under the MIT License. See LICENSE in the repository root.

using System.Runtime.Versioning;

// The suite exercises Linux mechanisms (modes 0600/0700, /dev/shm, futexes, gcc against Xen's headers).
// It is run on Linux x64; see docs/platforms.md for what is tested where.
[assembly: SupportedOSPlatform("linux")]
