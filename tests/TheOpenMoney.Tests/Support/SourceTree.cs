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

    /// <summary>
    /// "path:line" of every place under <c>src/</c> that <paramref name="writes"/> finds (1-based line numbers
    /// of a file's text), except in <paramref name="owner"/>: the check that a table has one writer.
    /// </summary>
    public static List<string> WritersOtherThan(string owner, Func<string, IEnumerable<int>> writes) =>
        ApiSources()
            .SelectMany(file => writes(file.Text).Select(line => $"{file.Path}:{line}"))
            .Where(place => !place.StartsWith(owner + ":", StringComparison.Ordinal))
            .ToList();

    /// <summary>The lines of <paramref name="owner"/> that <paramref name="writes"/> finds: the check cannot pass by finding nothing.</summary>
    public static List<string> WritesIn(string owner, Func<string, IEnumerable<int>> writes)
    {
        var text = File.ReadAllText(Path.Combine(Root, owner));
        var lines = text.Split('\n');
        return writes(text).Select(line => lines[line - 1]).ToList();
    }

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
