"""The first-party table-rate carrier: prices from a rate table, labels as ZPL.

Settings (see the README):

- ``OMNIGRAPH_PLUGIN_TABLERATE_RATES_FILE``: a JSON rates file; the built-in US ground and
  express table is used when unset.
- ``OMNIGRAPH_PLUGIN_TABLERATE_PUBLIC_URL``: the API's public base URL, so label URLs are
  absolute; when unset they are paths on the API host.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from omnigraph.hookspecs import hookimpl
from plugins.tablerate.carrier import CARRIER_CODE, TableRateCarrier
from plugins.tablerate.labels import label_routes
from plugins.tablerate.ratecard import default_rate_card, load_rate_card

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from omnigraph.carriers import Carrier
    from omnigraph.services.core import Services
    from omnigraph.settings import Settings

__all__ = ["TableRateCarrier", "carrier_from_settings"]


def carrier_from_settings(settings: Settings) -> TableRateCarrier:
    """The carrier configured by the plugin's settings; a bad rates file fails here, at start-up."""
    rates_file = settings.plugin_setting(CARRIER_CODE, "rates_file")
    card = (
        load_rate_card(rates_file) if rates_file else default_rate_card(settings.default_currency)
    )
    public_url = settings.plugin_setting(CARRIER_CODE, "public_url") or ""
    return TableRateCarrier(card, public_url=public_url)


@hookimpl
def omnigraph_carriers(settings: Settings) -> Sequence[Carrier]:
    return [carrier_from_settings(settings)]


@hookimpl
def omnigraph_routes(services: Services) -> Sequence[BaseRoute]:
    # Serve labels with the very carrier instance that sold them (same rate card).
    carrier = next((c for c in services.carriers if isinstance(c, TableRateCarrier)), None)
    return label_routes(carrier or carrier_from_settings(services.settings))
