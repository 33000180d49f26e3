namespace TheOpenMoney.Api.Infrastructure.Paging;

/// <summary>A page of a list: <c>{"items", "total", "limit", "offset"}</c>, newest first.</summary>
/// <param name="Items">This page.</param>
/// <param name="Total">Rows matching, over all pages.</param>
/// <param name="Limit">Page size used.</param>
/// <param name="Offset">Rows skipped.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int Limit, int Offset);
