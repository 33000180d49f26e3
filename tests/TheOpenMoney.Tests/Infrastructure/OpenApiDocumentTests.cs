using System.Text.Json.Nodes;

namespace TheOpenMoney.Tests.Infrastructure;

/// <summary>
/// The contract is a file in the repository, <c>openapi/v1.json</c>: the served document must be exactly
/// it. After a change to the API, regenerate it with <c>scripts/openapi.sh</c> (which runs this test with
/// <c>TOM_UPDATE_OPENAPI=1</c>, then lints the file) and commit the difference with the change.
/// </summary>
public sealed class OpenApiDocumentTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    public const string UpdateVariable = "TOM_UPDATE_OPENAPI";

    public static string CommittedPath => Path.Combine(SourceTree.Root, "openapi", "v1.json");

    [Fact]
    public async Task The_served_document_is_the_committed_openapi_v1_json()
    {
        var served = Canonical(await factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json"));
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(CommittedPath, served);
        }

        Assert.True(File.Exists(CommittedPath), $"{CommittedPath} is missing: run scripts/openapi.sh");
        var committed = await File.ReadAllTextAsync(CommittedPath);
        Assert.True(
            committed == served,
            $"openapi/v1.json differs from the served document (first difference at character {FirstDifference(committed, served)}): run scripts/openapi.sh and commit the result");
    }

    /// <summary>Indented with two spaces, LF line ends, a final newline: one stable text for one document.</summary>
    internal static string Canonical(string json) =>
        JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            .ReplaceLineEndings("\n") + "\n";

    private static int FirstDifference(string a, string b)
    {
        var length = Math.Min(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            if (a[i] != b[i])
            {
                return i;
            }
        }

        return length;
    }
}
