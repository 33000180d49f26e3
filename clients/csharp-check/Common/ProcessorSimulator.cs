using System.Net.Http.Json;

namespace TheOpenMoney.ClientCheck;

/// <summary>
/// The payment processor's simulator (not the partner API, so plain HTTP): injects a deposit as if a payer
/// had sent TON or USDT (<c>POST /_sim/deposits</c>; README, "What the run command does").
/// </summary>
public sealed class ProcessorSimulator(string baseUrl)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    /// <summary>A payment of <paramref name="nanoton"/> to the orders address with <paramref name="memo"/> as the comment.</summary>
    public Task PayOrderAsync(string nanoton, string memo) =>
        DepositAsync(new Dictionary<string, string> { ["user_id"] = "orders", ["amount"] = nanoton, ["comment"] = memo });

    /// <summary>
    /// A USDT transfer of <paramref name="units"/> (10⁻⁶ USDT) to the USDT orders address with <paramref name="memo"/>
    /// as the comment (the processor reads a jetton transfer's comment from its forward payload).
    /// </summary>
    public Task PayOrderInUsdtAsync(string units, string memo) =>
        DepositAsync(new Dictionary<string, string> { ["user_id"] = "orders", ["currency"] = "USDT", ["amount"] = units, ["comment"] = memo });

    /// <summary>A top-up of <paramref name="nanoton"/> to a partner's top-up address.</summary>
    public Task TopUpAsync(string address, string nanoton) =>
        DepositAsync(new Dictionary<string, string> { ["deposit_address"] = address, ["amount"] = nanoton });

    /// <summary>A USDT top-up of <paramref name="units"/> (10⁻⁶ USDT) to a partner's USDT top-up address.</summary>
    public Task TopUpInUsdtAsync(string address, string units) =>
        DepositAsync(new Dictionary<string, string> { ["deposit_address"] = address, ["currency"] = "USDT", ["amount"] = units });

    private async Task DepositAsync(Dictionary<string, string> body)
    {
        using var response = await Http.PostAsJsonAsync($"{baseUrl}/_sim/deposits", body);
        var text = await response.Content.ReadAsStringAsync();
        PartnerDay.Check(response.IsSuccessStatusCode, $"the simulator refused the deposit: HTTP {(int)response.StatusCode} {text}");
        PartnerDay.Note($"simulator: deposit of {body["amount"]} {(body.ContainsKey("currency") ? "USDT units" : "nanoTON")} ({(body.TryGetValue("comment", out var memo) ? memo : body["deposit_address"])})");
    }
}
