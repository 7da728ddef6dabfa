// Licensed under the MIT License. See LICENSE in the repository root.

using System.Reflection;
using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Packaging;

/// <summary>
/// The packages as a stranger takes them: PvRing.Core and PvRing.Transport packed to a local folder, a fresh console app
/// that references PvRing.Transport by version only (its own package cache, so no older build of the same version is
/// picked up), and two processes of it exchanging checked packets through the application API.
/// </summary>
public sealed class ConsumerPackageTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);

    private const string Program = """
        using PvRing.Transport;

        // consumer listen|connect NAME HOST: 2,000 packets of 1..65535 bytes each way, every byte checked.
        var host = new PvRing.Memory.HostDirectory(args[2]);
        const int Count = 2000;
        static byte[] Make(int i) { var p = new byte[1 + (i * 7919 % 65535)]; for (int k = 0; k < p.Length; k++) { p[k] = (byte)(i + k); } return p; }
        await using PvRingListener? listener = args[0] == "listen" ? await PvRingListener.StartAsync(args[1], new() { Host = host }) : null;
        await using PvRingConnection connection = listener is not null
            ? await listener.AcceptAsync()
            : await PvRingConnection.ConnectAsync(args[1], new() { Host = host });
        Task sending = Task.Run(async () => { for (int i = 0; i < Count; i++) { await connection.SendAsync(Make(i)); } });
        var buffer = new byte[65535];
        for (int i = 0; i < Count; i++)
        {
            int n = await connection.ReceiveAsync(buffer);
            if (!buffer.AsSpan(0, n).SequenceEqual(Make(i))) { Console.Error.WriteLine($"packet {i} differs"); return 1; }
        }

        await sending;
        Console.WriteLine($"consumer {args[0]}: {Count} packets each way checked; {connection.Features}");
        return 0;
        """;

    [Fact]
    public void PackedPackages_FreshConsoleApp_TwoProcessesExchangePackets()
    {
        using var work = new TempHost();
        string repository = RepositoryRoot();
        string feed = Path.Combine(work.Path, "feed");
        string version = typeof(PvRing.Transport.PvRingConnection).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        foreach (string project in new[] { "src/PvRing.Core", "src/PvRing.Transport", "src/PvRing.Extensions.DependencyInjection" })
        {
            // --no-build: the test run built Release already; packing does not touch what the tests run.
            Dotnet("pack", Path.Combine(repository, project), "-c", "Release", "--no-build", "-o", feed);
        }

        Assert.True(File.Exists(Path.Combine(feed, $"PvRing.Transport.{version}.nupkg")), $"no PvRing.Transport {version} package in {feed}");

        // A package page shows the package's own README: every link in it must work from there (absolute).
        foreach (string package in new[] { "PvRing.Core", "PvRing.Transport", "PvRing.Extensions.DependencyInjection" })
        {
            using System.IO.Compression.ZipArchive zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"{package}.{version}.nupkg"));
            System.IO.Compression.ZipArchiveEntry readme = zip.GetEntry("README.md") ?? throw new InvalidOperationException($"{package} has no README.md");
            using var reader = new StreamReader(readme.Open());
            string text = reader.ReadToEnd();
            Assert.StartsWith($"# {package}", text, StringComparison.Ordinal);
            foreach (System.Text.RegularExpressions.Match link in System.Text.RegularExpressions.Regex.Matches(text, @"\]\(([^)]+)\)"))
            {
                Assert.True(link.Groups[1].Value.StartsWith("https://", StringComparison.Ordinal), $"{package}'s README links to '{link.Groups[1].Value}', which does not work on a package page");
            }
        }
        string app = Path.Combine(work.Path, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <RestorePackagesPath>{Path.Combine(work.Path, "packages")}</RestorePackagesPath>
                <RestoreAdditionalProjectSources>{feed}</RestoreAdditionalProjectSources>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="PvRing.Transport" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), Program);
        Dotnet("build", app, "-c", "Release", "-nologo", "-v", "quiet");

        string dll = Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll");
        using ChildProcess listen = ChildProcess.Start("dotnet", dll, "listen", "consumer", work.Path);
        using ChildProcess connect = ChildProcess.Start("dotnet", dll, "connect", "consumer", work.Path);
        connect.AssertExit(0, s_timeout);
        listen.AssertExit(0, s_timeout);
        Assert.Contains("consumer listen: 2000 packets each way checked", listen.Output);
        Assert.Contains("consumer connect: 2000 packets each way checked", connect.Output);
    }

    private static void Dotnet(params string[] args)
    {
        using ChildProcess dotnet = ChildProcess.Start("dotnet", args);
        int code = dotnet.WaitForExit(s_timeout);
        Assert.True(code == 0, $"dotnet {string.Join(' ', args)} exited {code}:\n{dotnet.Output}");
    }

    internal static string RepositoryRoot()
    {
        for (string? at = AppContext.BaseDirectory; at is not null; at = Path.GetDirectoryName(at))
        {
            if (File.Exists(Path.Combine(at, "PvRing.sln")))
            {
                return at;
            }
        }

        throw new InvalidOperationException($"No PvRing.sln above {AppContext.BaseDirectory}.");
    }
}
