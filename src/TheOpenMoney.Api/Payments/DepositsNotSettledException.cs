namespace TheOpenMoney.Api.Payments;

/// <summary>Some deposits of a page could not be applied yet; the cursor stays before them and the next poll reads them again.</summary>
internal sealed class DepositsNotSettledException(int count)
    : Exception($"{count} deposits could not be applied yet; the next poll reads them again"), Infrastructure.IHasFailureKind
{
    public string FailureKind => "deposits_not_settled";
}
