// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using PvRing.Store;

namespace PvRing.Bus;

/// <summary>
/// A split device's identity and its two standard store directories:
/// front <c>/local/domain/&lt;fe&gt;/device/&lt;type&gt;/&lt;id&gt;</c>, back
/// <c>/local/domain/&lt;be&gt;/backend/&lt;type&gt;/&lt;fe&gt;/&lt;id&gt;</c>.
/// </summary>
public sealed class XenBusDevice
{
    /// <summary>Describes device <paramref name="deviceId"/> of <paramref name="type"/> between two domains.</summary>
    /// <exception cref="ArgumentException">The type is not a single path component or an id is out of range.</exception>
    public XenBusDevice(string type, int frontendDomainId, int backendDomainId, int deviceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        if (!type.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"Device type '{type}' must be letters, digits, '-' or '_'.", nameof(type));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(frontendDomainId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frontendDomainId, XenStorePermission.MaxDomainId);
        ArgumentOutOfRangeException.ThrowIfNegative(backendDomainId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(backendDomainId, XenStorePermission.MaxDomainId);
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        Type = type;
        FrontendDomainId = frontendDomainId;
        BackendDomainId = backendDomainId;
        DeviceId = deviceId;
        FrontendPath = $"/local/domain/{Text(frontendDomainId)}/device/{type}/{Text(deviceId)}";
        BackendPath = $"/local/domain/{Text(backendDomainId)}/backend/{type}/{Text(frontendDomainId)}/{Text(deviceId)}";
    }

    /// <summary>The device type, for example <c>vif</c> or <c>vbd</c>.</summary>
    public string Type { get; }

    /// <summary>The front end's domain.</summary>
    public int FrontendDomainId { get; }

    /// <summary>The back end's domain.</summary>
    public int BackendDomainId { get; }

    /// <summary>The device number.</summary>
    public int DeviceId { get; }

    /// <summary>The front end's directory.</summary>
    public string FrontendPath { get; }

    /// <summary>The back end's directory.</summary>
    public string BackendPath { get; }

    /// <summary>
    /// Does the toolstack's part (libxl): in one transaction, creates both directories with <c>backend</c>,
    /// <c>backend-id</c>, <c>frontend</c>, <c>frontend-id</c>, <c>online</c> = 1 and <c>state</c> = Initialising,
    /// owned by their domain and readable by the peer only. Needs a privileged (domain 0) connection.
    /// </summary>
    public Task CreateAsync(XenStoreClient toolstack, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(toolstack);
        string initialising = Text((int)XenbusState.Initialising);
        return toolstack.RunTransactionAsync(async (t, token) =>
        {
            await t.WriteAsync(FrontendPath + "/backend", BackendPath, token).ConfigureAwait(false);
            await t.WriteAsync(FrontendPath + "/backend-id", Text(BackendDomainId), token).ConfigureAwait(false);
            await t.WriteAsync(FrontendPath + "/state", initialising, token).ConfigureAwait(false);
            await t.WriteAsync(BackendPath + "/frontend", FrontendPath, token).ConfigureAwait(false);
            await t.WriteAsync(BackendPath + "/frontend-id", Text(FrontendDomainId), token).ConfigureAwait(false);
            await t.WriteAsync(BackendPath + "/online", "1", token).ConfigureAwait(false);
            await t.WriteAsync(BackendPath + "/state", initialising, token).ConfigureAwait(false);
            XenStorePermission[] front = [new(FrontendDomainId, XenStoreAccess.None), new(BackendDomainId, XenStoreAccess.Read)];
            XenStorePermission[] back = [new(BackendDomainId, XenStoreAccess.None), new(FrontendDomainId, XenStoreAccess.Read)];
            foreach (string key in new[] { "", "/backend", "/backend-id", "/state" })
            {
                await t.SetPermissionsAsync(FrontendPath + key, front, token).ConfigureAwait(false);
            }

            foreach (string key in new[] { "", "/frontend", "/frontend-id", "/online", "/state" })
            {
                await t.SetPermissionsAsync(BackendPath + key, back, token).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Type}/{FrontendDomainId}/{DeviceId} (back end in domain {BackendDomainId})";

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
