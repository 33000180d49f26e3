namespace TheOpenMoney.Tests.Support;

/// <summary>The repository's own files, found from the test binaries by walking up to <c>TheOpenMoney.sln</c>.</summary>
public static class SourceTree
{
    public static string Root { get; } = FindRoot();

    /// <summary>Every C# file under <c>src/</c>, as (path relative to the root, text).</summary>
    public static IEnumerable<(string Path, string Text)> ApiSources() =>
        Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(path => (Path.GetRelativePath(Root, path).Replace('\\', '/'), File.ReadAllText(path)));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "TheOpenMoney.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"TheOpenMoney.sln not found above {AppContext.BaseDirectory}");
    }
}
