using Microsoft.AspNetCore.Http;

namespace Siem.Api.Endpoints;

/// <summary>Error bodies: <c>{"error": code, "detail": what went wrong and what to do}</c>.</summary>
internal static class ApiErrors
{
    public static IResult BadRequest(string detail) =>
        Results.Json(new ApiError("bad_request", detail), statusCode: StatusCodes.Status400BadRequest);

    public static IResult NotFound(string detail) =>
        Results.Json(new ApiError("not_found", detail), statusCode: StatusCodes.Status404NotFound);

    public static IResult Conflict(string detail) =>
        Results.Json(new ApiError("conflict", detail), statusCode: StatusCodes.Status409Conflict);

    public static IResult NotAvailable(string detail) =>
        Results.Json(new ApiError("not_available", detail), statusCode: StatusCodes.Status501NotImplemented);
}
