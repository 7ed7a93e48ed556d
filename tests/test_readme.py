"""The README's promise: `omnigraph serve --demo-data` serves the demo network, and every query
and mutation the README shows returns data without errors."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from omnigraph.settings import project_root

README = project_root() / "README.md"
GRAPHQL_BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)
# Bounded wait for a cold start (migrations and demo data included).
READY_CHECKS = 600


def readme_operations() -> list[str]:
    blocks = GRAPHQL_BLOCK.findall(README.read_text())
    return [block for block in blocks if block.lstrip().startswith(("query", "mutation"))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {
        **os.environ,
        "OMNIGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'omnigraph.db'}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "omnigraph", "serve", "--demo-data", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(READY_CHECKS):
            if process.poll() is not None:
                raise AssertionError(
                    "omnigraph serve exited early:\n"
                    + (process.stdout.read() if process.stdout else "")
                )
            try:
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise AssertionError("omnigraph serve did not become ready")
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_readme_has_operations_to_try() -> None:
    operations = readme_operations()
    assert any(op.lstrip().startswith("query") for op in operations)
    assert any(op.lstrip().startswith("mutation") for op in operations)


@pytest.mark.parametrize("operation", readme_operations(), ids=lambda op: op.split("{")[0].strip())
def test_readme_operation_returns_data(served: str, operation: str) -> None:
    response = httpx.post(f"{served}/graphql", json={"query": operation}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    for field, value in body["data"].items():
        assert value, f"{field} returned nothing"
        if isinstance(value, dict) and "userErrors" in value:
            assert value["userErrors"] == [], value["userErrors"]


def test_the_demo_network_is_served(served: str) -> None:
    query = """{
      locations(first: 100) { edges { node { type address { city } } } }
      products(first: 100) { edges { node { sku } } }
      orders(first: 50) { edges { node { status } } }
    }"""
    data = httpx.post(f"{served}/graphql", json={"query": query}, timeout=30).json()["data"]
    types = [e["node"]["type"] for e in data["locations"]["edges"]]
    assert types.count("DC") >= 1 and types.count("STORE") >= 20
    assert len({e["node"]["address"]["city"] for e in data["locations"]["edges"]}) >= 20
    assert len(data["products"]["edges"]) == 100
    assert len({e["node"]["status"] for e in data["orders"]["edges"]}) >= 2
