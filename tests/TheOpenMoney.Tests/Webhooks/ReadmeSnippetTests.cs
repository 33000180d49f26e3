namespace TheOpenMoney.Tests.Webhooks;

/// <summary>The README's signature-verification snippets are the code the suite runs, line for line.</summary>
public sealed class ReadmeSnippetTests
{
    [Theory]
    [InlineData("csharp", "tests/TheOpenMoney.Tests/Webhooks/SignatureSnippets.cs")]
    [InlineData("python", "docs/webhooks/verify.py")]
    [InlineData("js", "docs/webhooks/verify.mjs")]
    public void The_readme_snippet_is_in_the_tested_file(string language, string file)
    {
        var readme = File.ReadAllText(Path.Combine(SourceTree.Root, "README.md"));
        var section = readme[readme.IndexOf("**Verifying the signature.**", StringComparison.Ordinal)..];
        var start = section.IndexOf("```" + language + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {language} block in the README's signature section");
        var body = section[(start + language.Length + 4)..];
        var snippet = body[..body.IndexOf("```", StringComparison.Ordinal)];

        var tested = Normalize(File.ReadAllText(Path.Combine(SourceTree.Root, file)));

        Assert.Contains(Normalize(snippet), tested, StringComparison.Ordinal);
    }

    private static string Normalize(string code) =>
        string.Join('\n', code.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
}
