"""The domain stays pure: no framework, database or network import may creep in."""

from __future__ import annotations

import ast
from pathlib import Path

import omnigraph.domain

FORBIDDEN = (
    "sqlalchemy",
    "strawberry",
    "starlette",
    "httpx",
    "pluggy",
    "aiosqlite",
    "asyncpg",
    "uvicorn",
    "omnigraph.db",
    "omnigraph.api",
    "omnigraph.services",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_modules_import_no_infrastructure() -> None:
    domain_dir = Path(omnigraph.domain.__file__).parent
    offenders = {
        f"{path.name}: {name}"
        for path in domain_dir.rglob("*.py")
        for name in _imports(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    }
    assert not offenders, f"domain imports infrastructure: {sorted(offenders)}"
