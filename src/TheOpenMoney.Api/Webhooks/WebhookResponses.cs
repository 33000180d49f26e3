namespace TheOpenMoney.Api.Webhooks;

/// <summary>Register or replace the webhook endpoint.</summary>
/// <param name="Url">An <c>https</c> URL (no credentials, ≤ 2,048 characters) whose host resolves to public addresses.</param>
/// <param name="Events">Event types to send (default: all but <c>ping</c>, which <c>POST /webhook/test</c> always sends).</param>
public sealed record PutWebhookRequest([property: ContractRequired] string? Url, IReadOnlyList<string>? Events);

/// <param name="Url">Where events are posted.</param>
/// <param name="Events">The event types sent.</param>
/// <param name="Enabled">False once deliveries failed for <c>Webhooks:MaxAttemptAge</c>; <c>PUT /webhook</c> enables it again.</param>
/// <param name="Secret">The signing secret, shown only when the endpoint is created (null when an existing one is replaced: the secret stays).</param>
/// <param name="SecretPrefix">The first characters of the secret, to tell secrets apart.</param>
/// <param name="CreatedAt">When the endpoint was first registered.</param>
public sealed record WebhookRegistered(string Url, IReadOnlyList<string> Events, bool Enabled, string? Secret, string SecretPrefix, DateTimeOffset CreatedAt);

/// <param name="Url">Where events are posted.</param>
/// <param name="Events">The event types sent.</param>
/// <param name="Enabled">Whether events are being sent.</param>
/// <param name="SecretPrefix">The first characters of the current secret (never the secret).</param>
/// <param name="CreatedAt">When the endpoint was first registered.</param>
/// <param name="DisabledReason">Why it was disabled, when it is.</param>
/// <param name="DisabledAt">When it was disabled, when it is.</param>
/// <param name="LastDelivery">The latest attempt, if any.</param>
public sealed record WebhookEndpointResponse(
    string Url,
    IReadOnlyList<string> Events,
    bool Enabled,
    string SecretPrefix,
    DateTimeOffset CreatedAt,
    string? DisabledReason,
    DateTimeOffset? DisabledAt,
    WebhookLastDelivery? LastDelivery);

/// <param name="StatusCode">The endpoint's HTTP status (null when none came back).</param>
/// <param name="Delivered">A 2xx in time.</param>
/// <param name="Error">What went wrong, when it did.</param>
/// <param name="CreatedAt">When the attempt was made.</param>
public sealed record WebhookLastDelivery(int? StatusCode, bool Delivered, string? Error, DateTimeOffset CreatedAt);

/// <param name="Secret">The new signing secret (shown only now).</param>
/// <param name="SecretPrefix">Its first characters.</param>
/// <param name="PreviousSecretExpiresAt">Until then deliveries carry a second <c>v1=</c> made with the previous secret.</param>
public sealed record WebhookRotated(string Secret, string SecretPrefix, DateTimeOffset PreviousSecretExpiresAt);

/// <param name="Id">The attempt's id (for <c>POST /webhook/deliveries/{id}/redeliver</c>).</param>
/// <param name="EventId">The event's id (as in <c>GET /events</c> and the <c>TOM-Event-Id</c> header).</param>
/// <param name="EventType">The event's type.</param>
/// <param name="Attempt">1 for the first attempt of this event.</param>
/// <param name="StatusCode">The endpoint's HTTP status (null when none came back).</param>
/// <param name="Error">What went wrong, when it did.</param>
/// <param name="DurationMs">How long the attempt took.</param>
/// <param name="Delivered">A 2xx in time.</param>
/// <param name="NextAttemptAt">When the event is tried again (null when delivered or given up).</param>
/// <param name="CreatedAt">When the attempt was made.</param>
public sealed record WebhookAttemptResponse(
    long Id,
    long EventId,
    [property: TextValues(typeof(EventTypes))] string EventType,
    int Attempt,
    int? StatusCode,
    string? Error,
    int DurationMs,
    bool Delivered,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset CreatedAt);
