"""Settings, read once from ``OMNIGRAPH_*`` environment variables and passed down explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./omnigraph.db"


class SettingsError(ValueError):
    """An ``OMNIGRAPH_*`` variable holds a value that cannot be used."""


def _split_names(raw: str | None) -> tuple[str, ...] | None:
    if raw is None or raw.strip() == "":
        return None
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the process needs to know about its environment.

    ``enabled_plugins`` of ``None`` means every installed plugin; ``disabled_plugins`` is
    subtracted afterwards, so an operator can turn one plugin off without listing the rest.
    """

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    enabled_plugins: tuple[str, ...] | None = None
    disabled_plugins: tuple[str, ...] = ()
    demo_data: bool = False
    max_page_size: int = 100
    default_currency: str = "USD"
    graphiql: bool = True
    event_poll_seconds: float = 1.0
    cors_origins: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        port = _int(env, "OMNIGRAPH_PORT", 8000)
        if not 0 < port < 65536:
            raise SettingsError(f"OMNIGRAPH_PORT must be between 1 and 65535, got {port}")
        max_page_size = _int(env, "OMNIGRAPH_MAX_PAGE_SIZE", 100)
        if max_page_size < 1:
            raise SettingsError("OMNIGRAPH_MAX_PAGE_SIZE must be at least 1")
        log_level = env.get("OMNIGRAPH_LOG_LEVEL", "info").lower()
        if log_level not in {"critical", "error", "warning", "info", "debug"}:
            raise SettingsError(f"OMNIGRAPH_LOG_LEVEL must be a logging level, got {log_level!r}")
        return cls(
            database_url=env.get("OMNIGRAPH_DATABASE_URL") or DEFAULT_DATABASE_URL,
            host=env.get("OMNIGRAPH_HOST") or "127.0.0.1",
            port=port,
            log_level=log_level,
            enabled_plugins=_split_names(env.get("OMNIGRAPH_PLUGINS")),
            disabled_plugins=_split_names(env.get("OMNIGRAPH_DISABLED_PLUGINS")) or (),
            demo_data=_bool(env, "OMNIGRAPH_DEMO_DATA", False),
            max_page_size=max_page_size,
            default_currency=(env.get("OMNIGRAPH_CURRENCY") or "USD").upper(),
            graphiql=_bool(env, "OMNIGRAPH_GRAPHIQL", True),
            cors_origins=_split_names(env.get("OMNIGRAPH_CORS_ORIGINS")) or (),
            extra={k: v for k, v in env.items() if k.startswith("OMNIGRAPH_PLUGIN_")},
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def plugin_setting(self, plugin: str, key: str, default: str | None = None) -> str | None:
        """A plugin's own setting, from ``OMNIGRAPH_PLUGIN_<PLUGIN>_<KEY>``."""
        return self.extra.get(f"OMNIGRAPH_PLUGIN_{plugin.upper()}_{key.upper()}", default)


def project_root() -> Path:
    """The source checkout holding ``migrations/`` beside the ``omnigraph`` package."""
    return Path(__file__).resolve().parent.parent
