namespace TheOpenMoney.Api.Recipients;

/// <summary>The recipient checks' examples in the document.</summary>
public sealed class RecipientsContractExamples : IContractExamples
{
    public IEnumerable<KeyValuePair<string, ContractFailure>> Failures() =>
    [
        new("checkStarsRecipient", new ContractFailure(422, Message: "username is required")),
        new("checkPremiumRecipient", new ContractFailure(422, Message: "username is required")),
    ];

    public IEnumerable<KeyValuePair<string, object>> Successes() =>
    [
        new("checkStarsRecipient", new RecipientResponse("pandus", true, null)),
        new("checkPremiumRecipient", new RecipientResponse("durov", false, "ALREADY_PREMIUM")),
    ];
}
