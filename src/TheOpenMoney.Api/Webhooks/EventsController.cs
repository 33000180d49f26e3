using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using TheOpenMoney.Api.Infrastructure.Auth;

namespace TheOpenMoney.Api.Webhooks;

/// <summary>The partner's event log: what changed, in order, for reconciling missed webhooks.</summary>
[ApiController]
[Route("api/v1/events")]
[Tags("Events")]
[Produces("application/json")]
public sealed class EventsController(NpgsqlDataSource dataSource) : ControllerBase
{
    /// <summary>List events after a cursor.</summary>
    /// <remarks>
    /// Your events in ascending <c>id</c> after <c>after</c> (0: from the oldest kept, at least 30 days).
    /// Pass <c>next_after</c> as the next <c>after</c>; <c>has_more</c> says whether to ask again at once.
    /// An event's id never changes and no event appears later with a smaller id.
    /// </remarks>
    [HttpGet(Name = "listEvents")]
    public async Task<ActionResult<ApiResponse<EventPage>>> List([FromQuery] EventQuery query, CancellationToken cancellationToken)
    {
        var after = query.After ?? 0;
        var limit = query.Limit ?? 50;
        await using var command = dataSource.CreateCommand(
            """
            SELECT seq, type, created_at, snapshot::text FROM events
             WHERE partner_id = $1 AND seq > $2 AND seq IS NOT NULL AND ($3::text IS NULL OR type = $3)
             ORDER BY seq LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = User.GetPartnerId() });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.Type ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit + 1 });
        var items = new List<EventResponse>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(EventRendering.Render(reader.GetInt64(0), User.IsLivemode(), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3)));
            }
        }

        var hasMore = items.Count > limit;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }

        return Ok(ApiResponse.Of(new EventPage(items, items.Count > 0 ? items[^1].Id : after, hasMore)));
    }
}

/// <param name="Items">Events in ascending id.</param>
/// <param name="NextAfter">The cursor for the next call: the last id here, or the one you sent.</param>
/// <param name="HasMore">More events are waiting after this page.</param>
public sealed record EventPage(IReadOnlyList<EventResponse> Items, long NextAfter, bool HasMore);

/// <summary><c>after</c>, <c>limit</c> and <c>type</c> of <c>GET /events</c>.</summary>
public sealed class EventQuery
{
    /// <summary>Events after this id (default 0: from the oldest kept).</summary>
    /// <example>0</example>
    [FromQuery(Name = "after")]
    public long? After { get; set; }

    /// <summary>1–100, default 50.</summary>
    /// <example>50</example>
    [FromQuery(Name = "limit")]
    public int? Limit { get; set; }

    /// <summary>Only events of this type.</summary>
    [FromQuery(Name = "type")]
    [TextValues(typeof(EventTypes))]
    public string? Type { get; set; }
}

internal sealed class EventQueryValidator : AbstractValidator<EventQuery>
{
    public EventQueryValidator()
    {
        RuleFor(q => q.After).GreaterThanOrEqualTo(0).When(q => q.After is not null).WithMessage("after must be 0 or more");
        RuleFor(q => q.Limit).InclusiveBetween(1, 100).When(q => q.Limit is not null).WithMessage("limit must be between 1 and 100");
        RuleFor(q => q.Type).Must(t => t is null || EventTypes.All.Contains(t))
            .WithMessage($"type must be one of {string.Join(", ", EventTypes.All)}");
    }
}
