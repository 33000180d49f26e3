namespace TheOpenMoney.Api.Partners;

/// <summary><c>GET /partner</c>'s example in the document.</summary>
public sealed class PartnersContractExamples : IContractExamples
{
    public IEnumerable<KeyValuePair<string, object>> Successes()
    {
        var at = ContractExamplesSetup.ExampleInstant;
        return [new("getPartner", new PartnerResponse(7, "live", 123456789, "reseller_bot_owner", at.AddDays(-90), new PartnerKeyResponse("osk_AbC1", at.AddDays(-10), at)))];
    }
}
