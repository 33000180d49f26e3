using System.Buffers.Text;
using System.ComponentModel;
using System.Diagnostics;
using System.Numerics;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Webhooks;

namespace TheOpenMoney.Tests.Webhooks;

public sealed class WebhookSignatureTests
{
    private const string NewSecret = "whsec_MfKQ9r8GKYqrTDCAjZ8sHe2Hs0V9sTdm0Wfu6RyPuLg";
    private const string OldSecret = "whsec_old";
    private static readonly DateTimeOffset Sent = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);
    private static readonly byte[] Body = "{\"id\":1,\"type\":\"ping\",\"note\":\"é ✓\"}"u8.ToArray();

    // --- Header ---

    [Fact]
    public void Header_is_t_then_one_lowercase_hex_v1_per_secret_new_first()
    {
        var one = WebhookSignature.Header(Sent, Body, [NewSecret]);
        var two = WebhookSignature.Header(Sent, Body, [NewSecret, OldSecret]);

        Assert.Matches("^t=1767225600,v1=[0-9a-f]{64}$", one);
        Assert.Matches("^t=1767225600,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$", two);
        Assert.StartsWith(one + ",v1=", two, StringComparison.Ordinal);
        Assert.EndsWith(WebhookSignature.Header(Sent, Body, [OldSecret])["t=1767225600".Length..], two, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NewSecret, "d3713aa191834c7f8c95f27e746fa824f47b9d557129d280db0e9c138b7bd056")]
    [InlineData(OldSecret, "059705d6df5ba232095403fa4c73ae88a1732d6e797c09f712d063c47017e015")]
    public void Known_answer_hmac_sha256_keyed_by_the_whole_secret_string_over_t_dot_raw_body(string secret, string fromPython)
    {
        byte[] documentedMessage = [.. "1767225600."u8, .. Body];
        var documented = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), documentedMessage);

        var header = WebhookSignature.Header(Sent, Body, [secret]);

        Assert.Equal(fromPython, Convert.ToHexStringLower(documented));
        Assert.Equal("t=1767225600,v1=" + fromPython, header);
    }

    [Fact]
    public void Header_needs_at_least_one_non_empty_secret()
    {
        Assert.Throws<ArgumentException>(() => WebhookSignature.Header(Sent, Body, []));
        Assert.Throws<ArgumentException>(() => WebhookSignature.Header(Sent, Body, [NewSecret, ""]));
    }

    // --- Verify ---

    [Fact]
    public void Verify_accepts_either_secret_while_two_sign()
    {
        var header = WebhookSignature.Header(Sent, Body, [NewSecret, OldSecret]);

        Assert.True(WebhookSignature.Verify(header, Body, NewSecret, Sent, Tolerance));
        Assert.True(WebhookSignature.Verify(header, Body, OldSecret, Sent, Tolerance));
        Assert.False(WebhookSignature.Verify(header, Body, "whsec_someone_else", Sent, Tolerance));
    }

    [Fact]
    public void Verify_rejects_a_changed_body()
    {
        var header = WebhookSignature.Header(Sent, Body, [NewSecret]);
        var changed = Body.ToArray();
        changed[^2] ^= 1;

        Assert.False(WebhookSignature.Verify(header, changed, NewSecret, Sent, Tolerance));
        Assert.False(WebhookSignature.Verify(header, Body.AsSpan(0, Body.Length - 1), NewSecret, Sent, Tolerance));
    }

    [Fact]
    public void Verify_rejects_a_timestamp_outside_the_tolerance_either_side()
    {
        var header = WebhookSignature.Header(Sent, Body, [NewSecret]);

        Assert.True(WebhookSignature.Verify(header, Body, NewSecret, Sent + Tolerance, Tolerance));
        Assert.True(WebhookSignature.Verify(header, Body, NewSecret, Sent - Tolerance, Tolerance));
        Assert.False(WebhookSignature.Verify(header, Body, NewSecret, Sent + Tolerance + TimeSpan.FromSeconds(1), Tolerance));
        Assert.False(WebhookSignature.Verify(header, Body, NewSecret, Sent - Tolerance - TimeSpan.FromSeconds(1), Tolerance));
        Assert.False(WebhookSignature.Verify(header, Body, NewSecret, Sent.AddDays(1), Tolerance));
    }

    [Fact]
    public void Verify_rejects_a_signature_moved_to_another_timestamp()
    {
        var signature = WebhookSignature.Header(Sent, Body, [NewSecret]).Split(",v1=")[1];

        Assert.False(WebhookSignature.Verify($"t={Sent.ToUnixTimeSeconds() + 1},v1={signature}", Body, NewSecret, Sent, Tolerance));
    }

    public static TheoryData<string> Garbage() => [.. GarbageAt(Sent)];

    /// <summary>Headers that must give false (never an exception) for the right body and secret at <paramref name="sent"/>.</summary>
    private static string[] GarbageAt(DateTimeOffset sent)
    {
        var valid = WebhookSignature.Header(sent, Body, [NewSecret]);
        var signature = valid.Split(",v1=")[1];
        var t = sent.ToUnixTimeSeconds();
        return
        [
            "",
            "t=",
            "v1=zz",
            $"t={t},v1=zz",
            $"t={t}",
            $"t={t},v1=",
            "v1=" + signature,
            "t=,v1=" + signature,
            "t=abc,v1=" + signature,
            $"t=-{t},v1=" + signature,
            $"t=+{t},v1=" + signature,
            "t=١٧٦٧٢٢٥٦٠٠,v1=" + signature,
            "t=99999999999999999999999999,v1=" + signature,
            $"t={t},t={t},v1=" + signature,
            $"t={t},v1=" + signature.ToUpperInvariant(),
            $"t={t},v1=" + signature[..^1],
            $"t={t},v1=" + signature + "0",
            $"t={t},v1=é" + signature[1..],
            $"t={t},v0=" + signature,
            ",,,==,=,",
            $"t={t};v1=" + signature,
            string.Join(",", Enumerable.Repeat(valid, 50_000)),
            new string('=', 1_000_000),
            "\0\u202e\ud800",
        ];
    }

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Verify_answers_false_to_garbage_without_throwing(string header)
    {
        Assert.False(WebhookSignature.Verify(header, Body, NewSecret, Sent, Tolerance));
    }

    [Fact]
    public void Verify_refuses_an_oversized_header_before_parsing_it()
    {
        var valid = WebhookSignature.Header(Sent, Body, [NewSecret]);
        var padded = valid + "," + new string('x', WebhookSignature.MaxHeaderLength - valid.Length - 1);

        Assert.True(WebhookSignature.Verify(padded, Body, NewSecret, Sent, Tolerance));
        Assert.False(WebhookSignature.Verify(padded + "x", Body, NewSecret, Sent, Tolerance));
    }

    [Fact]
    public void Verify_answers_false_to_a_missing_header_and_ignores_unknown_schemes_and_spaces()
    {
        var valid = WebhookSignature.Header(Sent, Body, [NewSecret]);

        Assert.False(WebhookSignature.Verify(null, Body, NewSecret, Sent, Tolerance));
        Assert.True(WebhookSignature.Verify("v0=abc, " + valid.Replace(",", " , ", StringComparison.Ordinal), Body, NewSecret, Sent, Tolerance));
        Assert.True(WebhookSignature.Verify(valid.Replace("v1=", "v1=zz,v1=", StringComparison.Ordinal), Body, NewSecret, Sent, Tolerance));
    }

    // --- Secrets ---

    [Fact]
    public void New_secret_is_whsec_and_43_base64url_chars_of_32_random_bytes()
    {
        var secret = WebhookSecrets.NewSecret();

        Assert.Matches("^whsec_[A-Za-z0-9_-]{43}$", secret);
        Assert.Equal(49, secret.Length);
        var random = Base64Url.DecodeFromChars(secret.AsSpan(WebhookSecrets.SecretPrefix.Length));
        Assert.Equal(32, random.Length);
        Assert.True(random.Length * 8 >= 192);
        Assert.Equal(secret[..12], WebhookSecrets.Prefix(secret));
        Assert.StartsWith("whsec_", WebhookSecrets.Prefix(secret), StringComparison.Ordinal);
    }

    [Fact]
    public void New_secrets_are_distinct_and_look_uniformly_random()
    {
        var secrets = Enumerable.Range(0, 2000).Select(_ => WebhookSecrets.NewSecret()).ToList();

        Assert.Equal(secrets.Count, secrets.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(64, secrets.SelectMany(s => s[6..^1]).Distinct().Count());
        var bytes = secrets.SelectMany(s => Base64Url.DecodeFromChars(s.AsSpan(6))).ToArray();
        var ones = bytes.Sum(b => BitOperations.PopCount(b));
        var bits = bytes.Length * 8;
        Assert.InRange(ones, (bits / 2) - (6 * Math.Sqrt(bits) / 2), (bits / 2) + (6 * Math.Sqrt(bits) / 2));
    }

    [Fact]
    public void Prefix_refuses_what_is_too_short_to_be_a_secret()
    {
        Assert.Throws<ArgumentException>(() => WebhookSecrets.Prefix("whsec_abc"));
        Assert.Throws<ArgumentException>(() => WebhookSecrets.Prefix("whsec_abcdef"));
    }

    // --- Secrets at rest ---

    private static readonly string KeyA = Convert.ToBase64String(SHA256.HashData("key A"u8));
    private static readonly string KeyB = Convert.ToBase64String(SHA256.HashData("key B"u8));

    private const long Partner = 7;

    private static WebhookSecretProtector Protector(string? key, string? previous = null) =>
        new(Options.Create(new WebhookSecretOptions { SecretKey = key, PreviousSecretKey = previous }));

    [Fact]
    public void Protect_then_Unprotect_round_trips_with_a_fresh_nonce_each_time()
    {
        var protector = Protector(KeyA);
        var secret = WebhookSecrets.NewSecret();

        var first = protector.Protect(secret, Partner);
        var second = protector.Protect(secret, Partner);

        Assert.Equal(secret, protector.Unprotect(first, Partner));
        Assert.Equal(secret, protector.Unprotect(second, Partner));
        Assert.Equal(1 + 1 + 12 + 16 + Encoding.UTF8.GetByteCount(secret), first.Length);
        Assert.Equal(WebhookSecretProtector.Version, first[0]);
        Assert.Equal(protector.CurrentKeyId, first[1]);
        Assert.NotEqual(first.AsSpan(2, 12).ToArray(), second.AsSpan(2, 12).ToArray());
        Assert.NotEqual(first, second);
        Assert.Equal("", protector.Unprotect(protector.Protect("", Partner), Partner));
    }

    [Fact]
    public void Ciphertext_never_contains_the_plaintext()
    {
        var protector = Protector(KeyA);
        for (var i = 0; i < 200; i++)
        {
            var secret = WebhookSecrets.NewSecret();
            var stored = protector.Protect(secret, Partner);

            Assert.Equal(-1, stored.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)));
            Assert.Equal(-1, stored.AsSpan().IndexOf("whsec_"u8));
            Assert.Equal(-1, stored.AsSpan().IndexOf(Base64Url.DecodeFromChars(secret.AsSpan(6)).AsSpan(0, 8)));
        }
    }

    [Fact]
    public void Any_flipped_bit_anywhere_is_a_CryptographicException()
    {
        var protector = Protector(KeyA);
        var stored = protector.Protect(WebhookSecrets.NewSecret(), Partner);

        for (var i = 0; i < stored.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var tampered = stored.ToArray();
                tampered[i] ^= (byte)(1 << bit);
                var error = Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(tampered, Partner));
                Assert.False(string.IsNullOrWhiteSpace(error.Message));
            }
        }

        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(stored[..^1], Partner));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(stored[..29], Partner));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect([], Partner));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect([.. stored, 0], Partner));
    }

    [Fact]
    public void A_value_copied_to_another_partners_row_does_not_decrypt_there()
    {
        var protector = Protector(KeyA);
        var stored = protector.Protect(NewSecret, Partner);

        var error = Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(stored, Partner + 1));

        Assert.Contains("another partner", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(NewSecret, error.Message, StringComparison.Ordinal);
        Assert.Equal(NewSecret, protector.Unprotect(stored, Partner));
    }

    [Fact]
    public void A_version_1_value_written_before_the_partner_binding_still_decrypts()
    {
        var key = Convert.FromBase64String(KeyA);
        var plaintext = Encoding.UTF8.GetBytes(NewSecret);
        var stored = new byte[2 + 12 + 16 + plaintext.Length];
        stored[0] = WebhookSecretProtector.UnboundVersion;
        stored[1] = SHA256.HashData(key)[0];
        RandomNumberGenerator.Fill(stored.AsSpan(2, 12));
        using (var aes = new AesGcm(key, 16))
        {
            aes.Encrypt(stored.AsSpan(2, 12), plaintext, stored.AsSpan(30), stored.AsSpan(14, 16), stored.AsSpan(0, 2));
        }

        Assert.Equal(NewSecret, Protector(KeyA).Unprotect(stored, Partner));
        Assert.Equal(WebhookSecretProtector.Version, Protector(KeyA).Protect(NewSecret, Partner)[0]);
    }

    [Fact]
    public void After_rotation_old_rows_decrypt_with_PreviousSecretKey_and_new_ones_use_the_new_key()
    {
        var secret = WebhookSecrets.NewSecret();
        var underA = Protector(KeyA).Protect(secret, Partner);
        var rotated = Protector(KeyB, previous: KeyA);

        Assert.Equal(secret, rotated.Unprotect(underA, Partner));
        var underB = rotated.Protect(secret, Partner);
        Assert.Equal(Protector(KeyB).CurrentKeyId, underB[1]);
        Assert.Equal(secret, Protector(KeyB).Unprotect(underB, Partner));
        Assert.Equal(secret, rotated.Unprotect(underB, Partner));
    }

    [Fact]
    public void A_key_that_is_not_configured_fails_with_the_key_id_and_no_key_in_the_message()
    {
        var underA = Protector(KeyA).Protect(NewSecret, Partner);
        Assert.NotEqual(Protector(KeyA).CurrentKeyId, Protector(KeyB).CurrentKeyId);

        var error = Assert.ThrowsAny<CryptographicException>(() => Protector(KeyB).Unprotect(underA, Partner));

        Assert.Contains("key id", error.Message, StringComparison.Ordinal);
        Assert.Contains("Webhooks:SecretKey", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyA, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyB, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(NewSecret, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_whose_ids_collide_are_both_tried_and_the_wrong_one_alone_fails()
    {
        var protectorA = Protector(KeyA);
        var twin = Enumerable.Range(0, 10_000)
            .Select(i => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"twin {i}"))))
            .First(key => Protector(key).CurrentKeyId == protectorA.CurrentKeyId);
        var underA = protectorA.Protect(NewSecret, Partner);

        Assert.Equal(NewSecret, Protector(twin, previous: KeyA).Unprotect(underA, Partner));
        var error = Assert.ThrowsAny<CryptographicException>(() => Protector(twin).Unprotect(underA, Partner));
        Assert.Contains("failed authentication", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string?, string?, string> BadKeys() => new()
    {
        { null, null, "Webhooks:SecretKey is required" },
        { "", null, "Webhooks:SecretKey is required" },
        { "  ", KeyA, "Webhooks:SecretKey is required" },
        { "not base64 at all!", null, "Webhooks:SecretKey is not valid base64" },
        { Convert.ToBase64String(new byte[16]), null, "Webhooks:SecretKey decodes to 16 bytes" },
        { Convert.ToBase64String(new byte[64]), null, "Webhooks:SecretKey decodes to 64 bytes" },
        { KeyA, "%%%%", "Webhooks:PreviousSecretKey is not valid base64" },
        { KeyA, Convert.ToBase64String(new byte[24]), "Webhooks:PreviousSecretKey decodes to 24 bytes" },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public void A_missing_or_malformed_key_stops_startup_naming_the_setting_but_not_the_value(string? key, string? previous, string message)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Protector(key, previous));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        foreach (var value in new[] { key, previous }.Where(v => !string.IsNullOrWhiteSpace(v)))
        {
            Assert.DoesNotContain(value!, error.Message, StringComparison.Ordinal);
        }
    }

    // --- The snippets partners copy ---

    [Fact]
    public void The_CSharp_snippet_verifies_a_real_header_and_rejects_the_rest()
    {
        var header = WebhookSignature.Header(DateTimeOffset.UtcNow, Body, [NewSecret, OldSecret]);
        var changed = Body.ToArray();
        changed[0] ^= 1;

        Assert.True(SignatureSnippets.Verify(header, Body, NewSecret));
        Assert.True(SignatureSnippets.Verify(header, Body, OldSecret));
        Assert.False(SignatureSnippets.Verify(header, changed, NewSecret));
        Assert.False(SignatureSnippets.Verify(header, Body, "whsec_someone_else"));
        Assert.False(SignatureSnippets.Verify(WebhookSignature.Header(DateTimeOffset.UtcNow.AddMinutes(-6), Body, [NewSecret]), Body, NewSecret));
    }

    [Fact]
    public void The_CSharp_snippet_answers_false_to_garbage_without_throwing()
    {
        var garbage = GarbageAt(DateTimeOffset.UtcNow);

        Assert.All(garbage, header => Assert.False(SignatureSnippets.Verify(header, Body, NewSecret), header.Length > 200 ? header[..200] : header));
    }

    [Theory]
    [InlineData("python3", "docs/webhooks/verify.py")]
    [InlineData("node", "docs/webhooks/verify.mjs")]
    public async Task The_script_snippet_accepts_a_real_header_and_rejects_a_tampered_body(string runtime, string script)
    {
        var header = WebhookSignature.Header(DateTimeOffset.UtcNow, Body, [NewSecret, OldSecret]);
        var changed = Body.ToArray();
        changed[^2] ^= 1;

        Assert.Equal((0, ""), await RunSnippetAsync(runtime, script, header, NewSecret, Body));
        Assert.Equal((0, ""), await RunSnippetAsync(runtime, script, header, OldSecret, Body));
        Assert.Equal((1, ""), await RunSnippetAsync(runtime, script, header, NewSecret, changed));
        Assert.Equal((1, ""), await RunSnippetAsync(runtime, script, header, "whsec_someone_else", Body));
        var old = WebhookSignature.Header(DateTimeOffset.UtcNow.AddMinutes(-6), Body, [NewSecret]);
        Assert.Equal((1, ""), await RunSnippetAsync(runtime, script, old, NewSecret, Body));
    }

    [Theory]
    [InlineData("python3", "docs/webhooks/verify.py")]
    [InlineData("node", "docs/webhooks/verify.mjs")]
    public async Task The_script_snippet_exits_1_on_garbage_without_crashing(string runtime, string script)
    {
        var signature = WebhookSignature.Header(DateTimeOffset.UtcNow, Body, [NewSecret]).Split(",v1=")[1];
        string[] headers = ["", "t=", "v1=zz", "v1=" + signature, "t=" + new string('9', 5000) + ",v1=" + signature, "t=1,v1=é", ",,=,"];

        foreach (var header in headers)
        {
            Assert.Equal((1, ""), await RunSnippetAsync(runtime, script, header, NewSecret, Body));
        }
    }

    /// <summary>Runs <c>runtime script header secret bodyFile</c> from the repository root: (exit code, stderr).</summary>
    private static async Task<(int ExitCode, string Stderr)> RunSnippetAsync(string runtime, string script, string header, string secret, byte[] body)
    {
        var bodyFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(bodyFile, body);
            var info = new ProcessStartInfo(runtime)
            {
                WorkingDirectory = SourceTree.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { Path.Combine(SourceTree.Root, script), header, secret, bodyFile })
            {
                info.ArgumentList.Add(arg);
            }

            Process process;
            try
            {
                process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {runtime}");
            }
            catch (Win32Exception e)
            {
                Assert.Fail($"{runtime} is missing (not on PATH: {e.Message}). This test runs the partner snippet {script} with it; "
                    + $"install {runtime} on this machine (CI has it) rather than skipping the test.");
                throw;
            }

            using (process)
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    Assert.Fail($"{runtime} {script} did not exit within 30 s");
                }

                await stdout;
                return (process.ExitCode, await stderr);
            }
        }
        finally
        {
            File.Delete(bodyFile);
        }
    }
}
