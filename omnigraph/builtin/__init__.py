"""Built-in behaviour shipped as default plugins, registered before installed plugins.

Each entry is (plugin name, module). Operators turn one off with
``OMNIGRAPH_DISABLED_PLUGINS=<name>``; a partner replaces one by disabling it and
installing their own.
"""

from __future__ import annotations

DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("omnigraph.notifier", "omnigraph.builtin.notifier"),
    ("omnigraph.lifecycle_notifier", "omnigraph.builtin.lifecycle_notifier"),
)
