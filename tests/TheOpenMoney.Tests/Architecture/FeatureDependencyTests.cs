using System.Text.RegularExpressions;

namespace TheOpenMoney.Tests.Architecture;

/// <summary>
/// Dependencies point one way (issue 23): Payments pays Orders, Orders never imports Payments; the
/// document's machinery (Infrastructure/Swagger) and the operator CLI's imports no feature (each
/// feature brings its own examples and commands); the processor's webhook path only confirms a push and
/// hands it to the one deposit intake (no quarantine code of its own).
/// </summary>
public sealed partial class FeatureDependencyTests
{
    private static readonly string[] Features =
        ["Orders", "Payments", "Pricing", "Recipients", "Balance", "Fulfillment", "TonRamp", "Partners", "Telegram", "Health", "Webhooks"];

    private static IEnumerable<(string Path, string Text)> Folder(string folder) =>
        SourceTree.ApiSources().Where(f => f.Path.StartsWith($"src/TheOpenMoney.Api/{folder}/", StringComparison.Ordinal));

    private static List<string> Mentions(string folder, IEnumerable<string> features) =>
        [.. Folder(folder)
            .SelectMany(f => features
                .Where(feature => Regex.IsMatch(f.Text, $@"\bTheOpenMoney\.Api\.{feature}\b"))
                .Select(feature => $"{f.Path} → {feature}"))];

    [Fact]
    public void Orders_never_imports_Payments() => Assert.Empty(Mentions("Orders", ["Payments"]));

    [Theory]
    [InlineData("Infrastructure/Swagger")]
    [InlineData("Infrastructure/Cli")]
    public void The_machinery_imports_no_feature(string folder)
    {
        Assert.NotEmpty(Folder(folder));
        Assert.Empty(Mentions(folder, Features));
    }

    [Fact]
    public void The_webhook_path_has_no_quarantine_code_of_its_own()
    {
        var webhookPath = Folder("Payments").Where(f => f.Path.EndsWith("/WebhookDeposits.cs", StringComparison.Ordinal) || f.Path.EndsWith("/ProcessorWebhookController.cs", StringComparison.Ordinal)).ToList();

        Assert.Equal(2, webhookPath.Count);
        Assert.All(webhookPath, f => Assert.DoesNotMatch(QuarantineCall(), f.Text));
        Assert.Contains(Folder("Payments"), f => f.Path.EndsWith("/DepositIntake.cs", StringComparison.Ordinal) && QuarantineCall().IsMatch(f.Text));
    }

    [GeneratedRegex(@"\b(DepositQuarantine|quarantine)\s*[.(]|HoldRejectedAsync|CountFailureAsync")]
    private static partial Regex QuarantineCall();
}
