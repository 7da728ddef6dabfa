// Licensed under the MIT License. See LICENSE in the repository root.

using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using PvRing.Tests.Infrastructure;

namespace PvRing.Tests.Packaging;

/// <summary>
/// SourceLink from the repository URL a release is built from. A clone made here has a local path as its origin, so the
/// ordinary build cannot show it: this test clones the checkout's HEAD into a temporary folder, points its origin at
/// <c>https://github.com/pvring/pvring.git</c>, builds and packs PvRing.Core there as CI does
/// (<c>ContinuousIntegrationBuild=true</c>) and reads what a debugger would: the symbol package's portable PDB
/// (SourceLink JSON, document paths, embedded untracked sources), the library's debug directory (deterministic, the
/// PDB's id and path) and the package's repository metadata. No network: the SDK's own SourceLink maps github.com.
/// </summary>
public sealed class SourceLinkTests
{
    private const string Origin = "https://github.com/pvring/pvring.git";
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);
    private static readonly Guid s_sourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    private static readonly Guid s_embeddedSourceKind = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    [Fact]
    public void CiBuildOfClone_GitHubOrigin_PdbMapsSourcesToRawGitHubAtTheCommit()
    {
        string repository = ConsumerPackageTests.RepositoryRoot();
        DirectoryInfo work = Directory.CreateTempSubdirectory("pvring-sourcelink-");
        try
        {
            string clone = Path.Combine(work.FullName, "clone");
            string feed = Path.Combine(work.FullName, "feed");
            // --shared borrows the checkout's objects: a clone of HEAD in well under a second.
            Run("git", "clone", "-q", "--shared", repository, clone);
            Run("git", "-C", clone, "remote", "set-url", "origin", Origin);
            string commit = Run("git", "-C", clone, "rev-parse", "HEAD").Trim();

            // The analyzers and the XML documentation do not change what SourceLink and determinism write; leaving them
            // out makes this build take seconds, not a minute, on a 2-core machine.
            string[] ci = ["-c", "Release", "-nologo", "-v", "quiet", "-p:ContinuousIntegrationBuild=true", "-p:RunAnalyzers=false", "-p:GenerateDocumentationFile=false"];
            string project = Path.Combine(clone, "src", "PvRing.Core");
            Run("dotnet", ["build", project, .. ci]);
            Run("dotnet", ["pack", project, "--no-build", "-o", feed, .. ci]);

            string package = Assert.Single(Directory.GetFiles(feed, "PvRing.Core.*.nupkg"));
            string symbols = Assert.Single(Directory.GetFiles(feed, "PvRing.Core.*.snupkg"));
            using ZipArchive nupkg = ZipFile.OpenRead(package);
            using ZipArchive snupkg = ZipFile.OpenRead(symbols);

            // The package says where its source is: the repository URL and the exact commit.
            XElement repositoryElement = ReadNuspec(nupkg).Descendants().Single(e => e.Name.LocalName == "repository");
            Assert.Equal("https://github.com/pvring/pvring", (string?)repositoryElement.Attribute("url"));
            Assert.Equal(commit, (string?)repositoryElement.Attribute("commit"));

            using MetadataReaderProvider pdbProvider = MetadataReaderProvider.FromPortablePdbStream(ReadEntry(snupkg, "lib/net10.0/PvRing.Core.pdb"));
            MetadataReader pdb = pdbProvider.GetMetadataReader();

            // SourceLink: the deterministic source root /_/ maps to raw.githubusercontent.com at that commit.
            using JsonDocument sourceLink = JsonDocument.Parse(Assert.Single(ReadCustomDebugInformation(pdb, s_sourceLinkKind)));
            JsonProperty mapping = Assert.Single(sourceLink.RootElement.GetProperty("documents").EnumerateObject());
            Assert.Equal("/_/*", mapping.Name);
            Assert.Equal($"https://raw.githubusercontent.com/pvring/pvring/{commit}/*", mapping.Value.GetString());

            // Every document is under /_/ (no path of the build machine), tracked sources are there, and the untracked
            // generated ones (obj/) are embedded, since SourceLink cannot fetch what the repository does not have.
            var documents = pdb.Documents.Select(d => (Handle: d, Name: pdb.GetString(pdb.GetDocument(d).Name))).ToList();
            Assert.All(documents, d => Assert.StartsWith("/_/", d.Name, StringComparison.Ordinal));
            Assert.Contains(documents, d => d.Name == "/_/src/PvRing.Core/Grants/GrantDomain.cs");
            var generated = documents.Where(d => d.Name.StartsWith("/_/src/PvRing.Core/obj/", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(generated);
            Assert.All(generated, d => Assert.NotEmpty(ReadCustomDebugInformation(pdb, s_embeddedSourceKind, d.Handle)));

            // The library is a deterministic build whose debug directory names this PDB by id and by a /_/ path.
            using var pe = new PEReader(ReadEntry(nupkg, "lib/net10.0/PvRing.Core.dll"));
            var debug = pe.ReadDebugDirectory();
            Assert.Contains(debug, e => e.Type == DebugDirectoryEntryType.Reproducible);
            CodeViewDebugDirectoryData codeView = pe.ReadCodeViewDebugDirectoryData(debug.First(e => e.Type == DebugDirectoryEntryType.CodeView));
            Assert.Equal("/_/src/PvRing.Core/obj/Release/net10.0/PvRing.Core.pdb", codeView.Path);
            var pdbId = new BlobContentId(pdb.DebugMetadataHeader!.Id);
            Assert.Equal(pdbId.Guid, codeView.Guid);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static IEnumerable<string> ReadCustomDebugInformation(MetadataReader pdb, Guid kind) =>
        ReadCustomDebugInformation(pdb, kind, EntityHandle.ModuleDefinition).Select(blob => Encoding.UTF8.GetString(blob));

    private static List<byte[]> ReadCustomDebugInformation(MetadataReader pdb, Guid kind, EntityHandle parent)
    {
        var blobs = new List<byte[]>();
        foreach (CustomDebugInformationHandle handle in pdb.GetCustomDebugInformation(parent))
        {
            CustomDebugInformation information = pdb.GetCustomDebugInformation(handle);
            if (pdb.GetGuid(information.Kind) == kind)
            {
                blobs.Add(pdb.GetBlobBytes(information.Value));
            }
        }

        return blobs;
    }

    private static XDocument ReadNuspec(ZipArchive package)
    {
        ZipArchiveEntry nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        return XDocument.Load(stream);
    }

    /// <summary>An entry's bytes in a seekable stream (the metadata and PE readers need one).</summary>
    private static MemoryStream ReadEntry(ZipArchive archive, string name)
    {
        ZipArchiveEntry entry = archive.GetEntry(name) ?? throw new InvalidOperationException($"The package has no {name}.");
        var copy = new MemoryStream();
        using (Stream stream = entry.Open())
        {
            stream.CopyTo(copy);
        }

        copy.Position = 0;
        return copy;
    }

    private static string Run(string fileName, params string[] arguments)
    {
        using ChildProcess process = ChildProcess.Start(fileName, arguments);
        int code = process.WaitForExit(s_timeout);
        Assert.True(code == 0, $"{fileName} {string.Join(' ', arguments)} exited {code}:\n{process.Output}");
        return process.Output;
    }
}
