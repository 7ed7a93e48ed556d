"""Relay global ids: ``base64("<TypeName>:<database id>")``."""

from __future__ import annotations

import base64
import binascii

from omnigraph.domain.errors import DomainError, ErrorCode


def _is_number(text: str) -> bool:
    # isdigit() alone accepts characters int() refuses, such as superscripts.
    return text.isascii() and text.isdigit()


def encode_id(type_name: str, value: int) -> str:
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


def decode_id(value: str, expected_type: str, field: tuple[str, ...]) -> int:
    """The database id inside a global id of ``expected_type``, or an INVALID problem on ``field``.

    Plain integers are accepted too, for operators typing ids by hand.
    """
    if _is_number(value):
        return int(value)
    try:
        type_name, _, raw = base64.b64decode(value.encode(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise DomainError.single(field, ErrorCode.INVALID, f"{value!r} is not a valid id") from None
    if type_name != expected_type or not _is_number(raw):
        raise DomainError.single(field, ErrorCode.INVALID, f"{value!r} is not a {expected_type} id")
    return int(raw)


def encode_cursor(position: int) -> str:
    return base64.b64encode(f"cursor:{position}".encode()).decode()


def decode_cursor(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        prefix, _, raw = base64.b64decode(value.encode(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raw, prefix = "", ""
    if prefix != "cursor" or not _is_number(raw.removeprefix("-")):
        raise DomainError.single(
            ("after",), ErrorCode.INVALID, "after is not a cursor from this list"
        )
    return int(raw)
