using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using TheOpenMoney.Api.Partners;

namespace TheOpenMoney.Tests.Partners;

public sealed class ApiKeyHasherTests
{
    private static ApiKeyHasher Hasher(string pepper) => new(Options.Create(new ApiKeyOptions { Pepper = pepper }));

    [Fact]
    public void Generated_key_is_osk_plus_43_base62_chars_with_at_least_192_bits()
    {
        var key = Hasher("p".PadRight(32, 'x')).Generate();

        Assert.Matches("^osk_[0-9A-Za-z]{43}$", key.Plaintext);
        Assert.True(ApiKeyHasher.RandomLength * Math.Log2(62) >= 192);
        Assert.True(ApiKeyHasher.HasKeyShape(key.Plaintext));
    }

    [Fact]
    public void A_test_key_is_osk_test_plus_43_base62_chars_and_its_prefix_alone_says_so()
    {
        var hasher = Hasher("p".PadRight(32, 'x'));
        var test = hasher.Generate(livemode: false);
        var live = hasher.Generate();

        Assert.Matches("^osk_test_[0-9A-Za-z]{43}$", test.Plaintext);
        Assert.True(ApiKeyHasher.HasKeyShape(test.Plaintext));
        Assert.Equal(test.Plaintext[..15], test.Prefix);
        Assert.True(ApiKeyHasher.IsTestKey(test.Plaintext));
        Assert.False(ApiKeyHasher.IsTestKey(live.Plaintext));
        // A live key whose random part happens to start with "test" is still live: the random part has no underscore.
        Assert.False(ApiKeyHasher.IsTestKey("osk_test" + live.Plaintext[8..]));
    }

    [Fact]
    public void Keys_do_not_repeat_and_use_the_whole_alphabet()
    {
        var hasher = Hasher("p".PadRight(32, 'x'));
        var keys = Enumerable.Range(0, 2000).Select(_ => hasher.Generate().Plaintext).ToList();

        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        var used = keys.SelectMany(k => k[4..]).Distinct().Count();
        Assert.Equal(62, used);
    }

    [Fact]
    public void Hash_is_hmac_sha256_of_the_key_with_the_pepper()
    {
        const string pepper = "pepper-pepper-pepper-pepper-pepper";
        var hasher = Hasher(pepper);
        var key = hasher.Generate();

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(pepper), Encoding.UTF8.GetBytes(key.Plaintext));
        Assert.Equal(expected, key.Hash);
        Assert.Equal(expected, hasher.Hash(key.Plaintext));
        Assert.NotEqual(SHA256.HashData(Encoding.UTF8.GetBytes(key.Plaintext)), key.Hash);
    }

    [Fact]
    public void Another_pepper_gives_another_hash()
    {
        var key = Hasher("a".PadRight(32, 'a')).Generate();

        Assert.NotEqual(key.Hash, Hasher("b".PadRight(32, 'b')).Hash(key.Plaintext));
    }

    [Fact]
    public void Display_prefix_shows_six_random_chars_only()
    {
        var key = Hasher("p".PadRight(32, 'x')).Generate();

        Assert.Equal(key.Plaintext[..10], key.Prefix);
        Assert.Equal(10, key.Prefix.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("osk_")]
    [InlineData("osk_short")]
    [InlineData("sk_live_0123456789012345678901234567890123456789012")]
    [InlineData("osk_012345678901234567890123456789012345678901-")]
    [InlineData("osk_0123456789012345678901234567890123456789012X")]
    [InlineData("OSK_0123456789012345678901234567890123456789012")]
    [InlineData("osk_test_0123456789012345678901234567890123456789")]
    [InlineData("osk_test_0123456789012345678901234567890123456789012X")]
    [InlineData("osk_TEST_0123456789012345678901234567890123456789012")]
    public void Malformed_keys_are_rejected_before_any_lookup(string candidate) =>
        Assert.False(ApiKeyHasher.HasKeyShape(candidate));

    [Fact]
    public void Pepper_shorter_than_32_chars_fails_validation()
    {
        var options = new ApiKeyOptions { Pepper = "short" };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();

        var valid = System.ComponentModel.DataAnnotations.Validator.TryValidateObject(
            options, new System.ComponentModel.DataAnnotations.ValidationContext(options), results, validateAllProperties: true);

        Assert.False(valid);
        Assert.Contains(results, r => r.ErrorMessage!.Contains("ApiKeys:Pepper", StringComparison.Ordinal));
    }
}
