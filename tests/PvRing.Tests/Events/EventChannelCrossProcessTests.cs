// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Tests.Infrastructure;
using PvRing.Events;

namespace PvRing.Tests.Events;

/// <summary>Shared set-up for tests against the test peer as a real second process (domain 2).</summary>
internal static class CrossProcess
{
    internal static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    internal static ChildProcess StartPeer(TempHost host, EventChannel unbound, string mode, int count = 1, int seed = 1) =>
        ChildProcess.StartPeer("event", mode, host.Host.Path, "2", "1", unbound.Port.ToString(CultureInfo.InvariantCulture),
            count.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture));
}
