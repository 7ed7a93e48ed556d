"""The hook contract stays honest: documented with its exact signature, and tested.

Like datasette's own meta-tests: adding a hook without documenting and testing it, or
changing a signature without updating the guide, fails here.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
from pathlib import Path

import pytest

from omnigraph import hookspecs

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "plugins.md"
HOOKS = sorted(name for name in vars(hookspecs) if name.startswith("omnigraph_"))


def signature_text(name: str) -> str:
    """``def hook(arg: Type, ...) -> Return`` as written in the spec (annotations are strings)."""
    signature = inspect.signature(getattr(hookspecs, name))
    params = ", ".join(f"{p.name}: {_text(p.annotation)}" for p in signature.parameters.values())
    return f"def {name}({params}) -> {_text(signature.return_annotation)}"


def _text(annotation: object) -> str:
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)


def test_hook_functions_are_found() -> None:
    # Guards the tests below against passing vacuously on an empty list.
    assert HOOKS
    assert all(hasattr(getattr(hookspecs, name), "omnigraph_spec") for name in HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_in_the_guide_with_its_exact_signature(hook: str) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert re.search(rf"^#+ `?{hook}`?\s*$", guide, flags=re.MULTILINE), f"no section for {hook}"
    wanted = signature_text(hook)
    lines = {
        line.rstrip().rstrip(":") for block in python_blocks(guide) for line in block.splitlines()
    }
    assert wanted in lines, (
        f"docs/plugins.md lacks the exact signature in a python block:\n{wanted}"
    )


def test_the_guide_documents_no_hook_that_does_not_exist() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    mentioned = set(re.findall(r"\bomnigraph_[a-z_]+(?=\()", "\n".join(python_blocks(guide))))
    assert mentioned <= set(HOOKS), (
        f"the guide shows unknown hooks: {sorted(mentioned - set(HOOKS))}"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring_that_says_how_results_combine(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert doc.startswith("Called"), f"{hook}'s docstring should open with when it is called"
    assert "results are collected" in doc or "first non-None result wins" in doc, (
        f"{hook}'s docstring should give its dispatch rule"
    )


@functools.cache
def _test_function_names() -> frozenset[str]:
    files = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("plugins/*/tests/**/*.py")]
    names: set[str] = set()
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names.update(
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        )
    return frozenset(names)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_its_own_test(hook: str) -> None:
    assert f"test_hook_{hook}" in _test_function_names(), (
        f"write test_hook_{hook} under tests/ or plugins/*/tests/ showing the core uses the hook"
    )
