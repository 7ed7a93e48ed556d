"""Errors as the API shows them: ``userErrors`` for what callers can fix, coded GraphQL
errors for bad requests, and masked messages for everything unexpected."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError

from omnigraph.domain.errors import DomainError, ErrorCode

logger = logging.getLogger("omnigraph.api")
# How graphql-core's messages about the request's variables begin.
_VARIABLE_ERROR = "Variable '$"

UserErrorCode = strawberry.enum(
    ErrorCode,
    name="UserErrorCode",
    description="Stable codes for problems the caller can fix. New codes may be added.",
)


@strawberry.type(description="A problem with the input that the caller can fix.")
class UserError:
    field: list[str] | None = strawberry.field(description="Path to the input field, if any.")
    code: UserErrorCode  # type: ignore[valid-type]
    message: str


def to_user_errors(error: DomainError, prefix: Iterable[str] = ("input",)) -> list[UserError]:
    head = list(prefix)
    return [
        UserError(
            field=[*head, *problem.field] if problem.field else None,
            code=problem.code,
            message=problem.message,
        )
        for problem in error.problems
    ]


class ApiError(GraphQLError):
    """A request-level failure with ``extensions.code``; never masked."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"


class NotFound(ApiError):
    code = "NOT_FOUND"


def bad_input_from(error: DomainError) -> BadUserInput:
    """Queries have no payload to carry userErrors; the problems go into extensions."""
    return BadUserInput(
        error.problems[0].message
        if len(error.problems) == 1
        else "; ".join(p.message for p in error.problems),
        problems=[
            {"field": list(p.field), "code": p.code.value, "message": p.message}
            for p in error.problems
        ],
    )


def should_mask(error: GraphQLError) -> bool:
    """Mask anything that is not an intended, coded error; log it in full first."""
    original = error.original_error
    if original is None or isinstance(original, ApiError):
        return False
    if error.path is None and error.message.startswith(_VARIABLE_ERROR):
        # graphql-core refusing a variable's value before execution (the scalar's or input
        # type's reason is kept as the original): the caller's mistake, worded for them.
        return False
    if isinstance(original, GraphQLError) and (original.extensions or {}).get("code"):
        return False
    logger.error("unexpected error in %s", ".".join(map(str, error.path or ())), exc_info=original)
    return True
