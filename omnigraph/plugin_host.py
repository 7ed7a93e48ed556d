"""Building the plugin manager: discovery, enabling and disabling, validation."""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import cast

import pluggy

import omnigraph
from omnigraph import hookspecs
from omnigraph.builtin import DEFAULT_PLUGINS
from omnigraph.domain.promise import EligibilityRule, is_filter
from omnigraph.domain.sourcing import CostTerm, is_cost_term
from omnigraph.settings import Settings

ENTRY_POINT_GROUP = "omnigraph"
HOOK_PREFIX = "omnigraph_"
logger = logging.getLogger(__name__)


class PluginLoadError(RuntimeError):
    """An enabled plugin could not be found, imported or validated against the hook contract."""


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str
    module: str
    hooks: tuple[str, ...]
    version: str | None
    builtin: bool = False


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    return sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _hook_names() -> list[str]:
    return sorted(name for name in vars(hookspecs) if name.startswith(HOOK_PREFIX))


def _returns_awaitable(hook_name: str) -> bool:
    # Annotations are strings here (postponed evaluation); the contract spells them out.
    annotation = getattr(hookspecs, hook_name).__annotations__.get("return", "")
    return "Awaitable" in str(annotation)


def _register(manager: pluggy.PluginManager, name: str, plugin: object) -> None:
    """Register one plugin, turning every way it breaks the contract into a clear error."""
    hooks = _hook_names()
    for attribute in dir(plugin):
        if not attribute.startswith(HOOK_PREFIX) or not callable(getattr(plugin, attribute, None)):
            continue
        opts = manager.parse_hookimpl_opts(plugin, attribute)
        if opts is None:
            # pluggy ignores unmarked functions; a forgotten decorator would fail silently.
            raise PluginLoadError(
                f"plugin {name!r}: {attribute} is not decorated with @omnigraph.hookspecs.hookimpl"
            )
        hook = opts.get("specname") or attribute
        if hook not in hooks:
            close = difflib.get_close_matches(hook, hooks, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise PluginLoadError(f"plugin {name!r}: {hook} is not an omnigraph hook{hint}")
        # pluggy never awaits: an async provider hook would hand the core a coroutine.
        if not _returns_awaitable(hook) and inspect.iscoroutinefunction(getattr(plugin, attribute)):
            raise PluginLoadError(
                f"plugin {name!r}: {attribute} must be a plain def that returns providers, "
                "not async def"
            )
    try:
        manager.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginLoadError(f"plugin {name!r} does not fit the hook contract: {exc}") from exc


def _load(name: str, target: str, load: Callable[[], object]) -> object:
    try:
        return load()
    except Exception as exc:
        raise PluginLoadError(f"plugin {name!r} ({target}) failed to import: {exc}") from exc


def build_plugin_manager(
    settings: Settings, extra: Iterable[tuple[str, object]] = ()
) -> pluggy.PluginManager:
    """A plugin manager with the contract, the built-ins, the allowed installed plugins, ``extra``.

    Registration order, which is the order results are collected in (see
    ``Services``): built-in default plugins first, then installed plugins in the order
    ``OMNIGRAPH_PLUGINS`` lists them (alphabetical when it is unset), then ``extra``.
    ``OMNIGRAPH_PLUGINS`` selects among installed plugins only; built-ins stay on unless
    named in ``OMNIGRAPH_DISABLED_PLUGINS``. ``extra`` registers (name, plugin) pairs
    without installing a package: tests and embedders use it. A misspelt or undecorated
    hook fails here rather than be silently ignored.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    disabled = set(settings.disabled_plugins)
    builtin_names = {name for name, _ in DEFAULT_PLUGINS}
    available = {ep.name: ep for ep in _entry_points()}
    unknown_disabled = disabled - builtin_names - set(available)
    if unknown_disabled:
        logger.warning(
            "OMNIGRAPH_DISABLED_PLUGINS names unknown plugins: %s",
            ", ".join(sorted(unknown_disabled)),
        )
    if settings.enabled_plugins is None:
        wanted = sorted(available)
    else:
        wanted = [n for n in dict.fromkeys(settings.enabled_plugins) if n not in builtin_names]
        missing = [n for n in wanted if n not in available]
        if missing:
            names = ", ".join(sorted(missing))
            raise PluginLoadError(
                f"OMNIGRAPH_PLUGINS names plugins that are not installed: {names}"
            )
    for name, module in DEFAULT_PLUGINS:
        if name not in disabled:
            _register(manager, name, _load(name, module, partial(importlib.import_module, module)))
    for name in wanted:
        if name not in disabled:
            entry_point = available[name]
            _register(manager, name, _load(name, entry_point.value, entry_point.load))
    for name, plugin in extra:
        _register(manager, name, plugin)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(str(exc)) from exc
    return manager


def sourcing_contributions(
    manager: pluggy.PluginManager, settings: Settings
) -> list[EligibilityRule | CostTerm]:
    """Every object ``omnigraph_sourcing_rules`` returned: filters, cost terms, or both.

    An object with neither a callable ``check`` nor a callable ``cost`` would change no
    decision, so it fails start-up with ``PluginLoadError`` naming the plugin.
    """
    found = [
        item
        for result in manager.hook.omnigraph_sourcing_rules(settings=settings)
        if result
        for item in result
    ]
    for item in found:
        if not (is_filter(item) or is_cost_term(item)):
            raise PluginLoadError(
                f"plugin {_contributor(manager, settings, item)!r}: omnigraph_sourcing_rules "
                f"returned {item!r}, which has neither check(candidate, method) (a filter) "
                "nor cost(package, context) (a cost term)"
            )
    return found


def _contributor(manager: pluggy.PluginManager, settings: Settings, item: object) -> str:
    """The plugin whose ``omnigraph_sourcing_rules`` returns ``item`` (or one of its type)."""
    for impl in manager.hook.omnigraph_sourcing_rules.get_hookimpls():
        returned = cast("Iterable[object]", impl.function(settings=settings) or ())
        if any(other is item or type(other) is type(item) for other in returned):
            return impl.plugin_name
    return "unknown"


def describe_plugins(manager: pluggy.PluginManager) -> list[PluginInfo]:
    """Every registered plugin with the hooks it implements, for ``omnigraph plugins``."""
    versions = {ep.name: ep.dist.version if ep.dist else None for ep in _entry_points()}
    builtin_names = {name for name, _ in DEFAULT_PLUGINS}
    infos = []
    for name, plugin in sorted(manager.list_name_plugin(), key=lambda pair: pair[0]):
        if plugin is None:
            continue
        hooks = tuple(sorted(caller.name for caller in manager.get_hookcallers(plugin) or ()))
        module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__
        builtin = name in builtin_names
        version = omnigraph.__version__ if builtin else versions.get(name)
        infos.append(PluginInfo(name, module, hooks, version, builtin))
    return infos
