"""The one family of domain errors that services raise.

Each error has a stable `code` that clients and tests rely on, and an HTTP status that the API
exception handler uses; WebSocket consumers send the same code in an `error` frame. Messages are
constant: they never carry personal or health data.
"""
from __future__ import annotations


class DomainError(Exception):
    code = "invalid"
    status = 400
    default_detail = "The request is not valid."

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        self.detail = detail or self.default_detail
        if code:
            self.code = code
        super().__init__(self.detail)


class Invalid(DomainError):
    pass


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_detail = "Not found."


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_detail = "You may not do that."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_detail = "The resource is not in a state that allows this."


class Unavailable(DomainError):
    code = "unavailable"
    status = 503
    default_detail = "A backing service is unreachable; try again shortly."
