// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.Extensions.Options;

namespace PvRing.Extensions.DependencyInjection;

/// <summary>
/// Validates settings with the transport's own checks (<c>PvRingListenerOptions.Validate</c>,
/// <c>PvRingConnectionOptions.Validate</c>), so a bad configuration fails at startup (<c>ValidateOnStart</c>) with the
/// same message it would give at connect time.
/// </summary>
internal sealed class SettingsValidator : IValidateOptions<PvRingListenerSettings>, IValidateOptions<PvRingConnectionSettings>
{
    public ValidateOptionsResult Validate(string? name, PvRingListenerSettings options) => Check(name, () => options.ToOptions(null));

    public ValidateOptionsResult Validate(string? name, PvRingConnectionSettings options) => Check(name, () => options.ToOptions(null));

    private static ValidateOptionsResult Check(string? name, Action toOptions)
    {
        try
        {
            toOptions();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail($"PvRing settings '{name}': {e.Message}");
        }
    }
}
