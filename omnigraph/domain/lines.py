"""Checks shared by everything that lists SKUs with quantities (orders, holds, counts)."""

from __future__ import annotations

from collections.abc import Container, Sequence

from omnigraph.domain.errors import ErrorCode, Problem


def sku_problems(skus: Sequence[str], known_skus: Container[str], section: str) -> list[Problem]:
    """Unknown SKUs, and SKUs listed twice (the caller should add the quantities up)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, sku in enumerate(skus):
        where = (section, str(index), "sku")
        if sku not in known_skus:
            problems.append(Problem(where, ErrorCode.UNKNOWN_SKU, f"unknown SKU {sku!r}"))
        elif sku in seen:
            problems.append(
                Problem(
                    where,
                    ErrorCode.DUPLICATE_LINE,
                    f"SKU {sku} is listed twice; add up the quantities",
                )
            )
        seen.add(sku)
    return problems


def in_line_order(problems: Sequence[Problem]) -> list[Problem]:
    """Problems sorted by the line they concern (``(section, index, field)`` paths), keeping
    the order within a line, so a form lists them top to bottom."""
    return sorted(problems, key=lambda problem: int(problem.field[1]))
