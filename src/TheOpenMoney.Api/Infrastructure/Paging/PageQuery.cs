using FluentValidation;
using Microsoft.AspNetCore.Mvc;

namespace TheOpenMoney.Api.Infrastructure.Paging;

/// <summary><c>limit</c> (1–100, default 20) and <c>offset</c> (default 0).</summary>
public class PageQuery
{
    /// <summary>Page size, 1–100.</summary>
    /// <example>20</example>
    [FromQuery(Name = "limit")]
    public int? Limit { get; set; }

    /// <summary>Rows to skip.</summary>
    /// <example>0</example>
    [FromQuery(Name = "offset")]
    public int? Offset { get; set; }

    /// <summary>The page size asked for, or the default.</summary>
    public int PageSize() => Limit ?? 20;

    /// <summary>The rows to skip asked for, or none.</summary>
    public int RowsToSkip() => Offset ?? 0;
}

/// <summary>The paging rules every list shares; a list's own validator includes it.</summary>
public sealed class PageQueryValidator : AbstractValidator<PageQuery>
{
    public PageQueryValidator()
    {
        RuleFor(q => q.Limit).InclusiveBetween(1, 100).When(q => q.Limit is not null).WithMessage("limit must be between 1 and 100");
        RuleFor(q => q.Offset).GreaterThanOrEqualTo(0).When(q => q.Offset is not null).WithMessage("offset must be 0 or more");
    }
}
