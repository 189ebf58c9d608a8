"""The error shape of a Laravel JSON API (Convoy, the VPS panel): `{"message": ..., "errors": {...}}`, with
`Retry-After` on 429 and 503."""

from __future__ import annotations

from typing import Any

from .server import Response


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None,
                 allow: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.allow = status, message, errors, allow


def error_body(err: ApiError) -> Response:
    body: dict[str, Any] = {"message": err.message}
    if err.errors is not None:
        body["errors"] = err.errors
    return Response.json(err.status, body, [("Allow", err.allow)] if err.allow else [])


def injected_error(status: int, message: str | None, defaults: dict[int, str], retry_after: int) -> Response:
    """What the API answers for an injected status fault: its own message for the status unless one is given; a
    validation failure (422) carries an empty `errors`."""
    resp = error_body(ApiError(status, message if message is not None else defaults.get(status, "Server Error"),
                               {} if status == 422 else None))
    if status in (429, 503):
        resp.headers.append(("Retry-After", str(retry_after)))
    return resp
