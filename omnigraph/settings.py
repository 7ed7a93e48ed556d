"""Settings, read once from ``OMNIGRAPH_*`` environment variables and passed down explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from omnigraph.domain.stock_signal import check_thresholds

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


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value


def _not_negative(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {value}")
    return value


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
    reservation_sweep_seconds: int = 5
    # How often orders whose remorse window has ended are released to their locations.
    release_sweep_seconds: int = 30
    # How often backorders waiting for supply are filled from stock that came in by other
    # ways than a receipt through the API (transfers, returns, cancellations, plugins).
    backorder_fill_seconds: int = 60
    # How often the SLA monitor looks for missed milestones, and how long after its remorse
    # window an order may wait for release before that is a missed milestone.
    sla_check_seconds: int = 60
    sla_release_grace_minutes: int = 60
    cors_origins: tuple[str, ...] = ()
    # How often seasonal safety stock rules are re-applied (they turn on and off by date).
    season_refresh_seconds: int = 3600
    # Stock messaging: "only N left" at or under the first, "low stock" at or under the second.
    stock_only_few_left: int = 3
    stock_low: int = 10
    # Check every delivery promise's stock snapshot against the database (slow; for tests
    # and for chasing a writer that changes stock without an event).
    stock_snapshot_verify: bool = False
    # The garbage collector's young-generation threshold while the server runs, after the
    # start-up heap is frozen (``omnigraph.collector``); 0 leaves Python's collector alone.
    gc_young_threshold: int = 20_000
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
        stock_only_few_left = _int(env, "OMNIGRAPH_STOCK_ONLY_FEW_LEFT", 3)
        stock_low = _int(env, "OMNIGRAPH_STOCK_LOW", 10)
        if (problem := check_thresholds(stock_only_few_left, stock_low)) is not None:
            raise SettingsError(
                f"OMNIGRAPH_STOCK_ONLY_FEW_LEFT={stock_only_few_left},"
                f" OMNIGRAPH_STOCK_LOW={stock_low}: {problem}"
            )
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
            season_refresh_seconds=_int(env, "OMNIGRAPH_SEASON_REFRESH_SECONDS", 3600),
            reservation_sweep_seconds=_positive(env, "OMNIGRAPH_RESERVATION_SWEEP_SECONDS", 5),
            release_sweep_seconds=_positive(env, "OMNIGRAPH_RELEASE_SWEEP_SECONDS", 30),
            backorder_fill_seconds=_positive(env, "OMNIGRAPH_BACKORDER_FILL_SECONDS", 60),
            sla_check_seconds=_positive(env, "OMNIGRAPH_SLA_CHECK_SECONDS", 60),
            sla_release_grace_minutes=_positive(env, "OMNIGRAPH_SLA_RELEASE_GRACE_MINUTES", 60),
            stock_only_few_left=stock_only_few_left,
            stock_low=stock_low,
            stock_snapshot_verify=_bool(env, "OMNIGRAPH_STOCK_SNAPSHOT_VERIFY", False),
            gc_young_threshold=_not_negative(env, "OMNIGRAPH_GC_YOUNG_THRESHOLD", 20_000),
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
