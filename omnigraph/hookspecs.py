"""The hook contract for omnigraph plugins.

A plugin is a module or object with functions decorated by ``omnigraph.hookspecs.hookimpl``
whose names match the specifications below. Install it with an entry point in the
``omnigraph`` group::

    [project.entry-points.omnigraph]
    mycarrier = "mycarrier.plugin"

Hooks are synchronous: pluggy never awaits. A hook that needs I/O returns a provider
object whose methods are async (a carrier's ``rates()``), or an awaitable that the core
awaits (``omnigraph_startup``, ``omnigraph_shutdown``, ``omnigraph_handle_event``). Each
docstring says, in order: when the hook is called, its arguments, what it returns, and how
results are combined. The partner guide, ``docs/plugins.md``, repeats every signature; a
test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from omnigraph.carriers import Carrier
    from omnigraph.domain.promise import EligibilityRule
    from omnigraph.domain.sourcing import CostTerm
    from omnigraph.events.types import Event
    from omnigraph.messaging import Messenger
    from omnigraph.services.core import Services
    from omnigraph.settings import Settings

PROJECT_NAME = "omnigraph"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def omnigraph_startup(services: Services) -> Awaitable[None] | None:
    """Called once when the application starts, after the database is reachable.

    ``services`` is the public façade (place orders, adjust stock, read availability).
    Return ``None``, or an awaitable the core awaits before serving requests: the place to
    open HTTP clients or check credentials. All results are collected.
    """


@hookspec
def omnigraph_shutdown(services: Services) -> Awaitable[None] | None:
    """Called once when the application stops; close what ``omnigraph_startup`` opened.

    ``services`` is the same façade ``omnigraph_startup`` received. Return ``None`` or an
    awaitable; the core awaits them all together. All results are collected.
    """


@hookspec
def omnigraph_routes(services: Services) -> Sequence[BaseRoute] | None:
    """Called while the application is built, to mount a plugin's inbound HTTP routes.

    Use it for webhooks: verify the sender, then turn the payload into calls on
    ``services``. Routes are mounted under ``/plugins/<plugin name>/``, so paths in the
    returned Starlette routes are relative to that prefix. Return a sequence of routes or
    ``None``. All results are collected.
    """


@hookspec
def omnigraph_handle_event(event: Event, services: Services) -> Awaitable[None] | None:
    """Called for every committed outbox event, in id order, at least once per plugin.

    ``event.topic`` names what happened (``omnigraph.events.types.Topic``: ``order.created``,
    ``inventory.changed``, ``shipment.created`` ...), ``event.payload`` carries the facts;
    ``services`` is the façade. Return ``None`` when the event is of no interest, or an
    awaitable that pushes it to the plugin's system. If it raises, the same event is
    delivered again later with back-off, so handlers must be idempotent (use ``event.id`` as
    the idempotency key). All results are collected: the event dispatcher calls each
    plugin's implementation on its own, with its own cursor, so one plugin failing never
    holds back another. A plugin seen for
    the first time receives events from that moment on, not the history before it.
    """


@hookspec
def omnigraph_carriers(settings: Settings) -> Sequence[Carrier] | None:
    """Called once at start-up to collect carrier providers.

    ``settings`` holds the plugin's own ``OMNIGRAPH_PLUGIN_<NAME>_<KEY>`` values. Return
    carrier objects satisfying ``omnigraph.carriers.Carrier`` (async ``rates``,
    ``buy_label``, ``track``), or ``None``. All results are collected; for a delivery promise
    the cheapest offer for each service wins.
    """


@hookspec
def omnigraph_messengers(settings: Settings) -> Sequence[Messenger] | None:
    """Called once at start-up to collect messaging providers (email, SMS, push).

    ``settings`` holds the plugin's own ``OMNIGRAPH_PLUGIN_<NAME>_<KEY>`` values. Return
    objects satisfying ``omnigraph.messaging.Messenger``: a ``name``, a ``channel``
    (``EMAIL``, ``SMS`` or ``PUSH``) and an async ``send(message)`` returning a receipt with
    the provider's message id and delivery state. All results are collected in pluggy's call
    order (``tryfirst`` implementations, then the most recently registered plugin first,
    ``trylast`` last); for each channel the first messenger in that order sends, so an
    installed plugin overrides a built-in one.
    """


@hookspec
def omnigraph_sourcing_rules(
    settings: Settings,
) -> Sequence[EligibilityRule | CostTerm] | None:
    """Called once at start-up to collect eligibility filters and cost terms for sourcing.

    ``settings`` holds the plugin's own ``OMNIGRAPH_PLUGIN_<NAME>_<KEY>`` values. Return
    objects satisfying ``omnigraph.domain.promise.EligibilityRule`` (a ``name`` and a pure
    ``check(candidate, method)`` returning ``None`` to keep the location or a short reason
    to reject it, shown in the decision's explanation as ``EXCLUDED_BY_RULE``) and/or
    ``omnigraph.domain.sourcing.CostTerm`` (a ``name`` and a pure ``cost(package, context)``
    returning a non-negative ``Money`` added to each package's cost). An object with both
    methods is both; one with neither stops start-up with
    ``omnigraph.plugin_host.PluginLoadError`` naming the plugin. They must not do I/O: they
    run for every candidate of every promise and order. All results are collected and every
    filter and term applies, to promises, order capture and simulations alike (filters to
    reservations too).
    """
