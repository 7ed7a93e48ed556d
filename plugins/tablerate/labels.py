"""Printable labels: ZPL for a 4x6 inch thermal label, served by the plugin's own route."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from omnigraph.carriers import CarrierError
from plugins.tablerate.carrier import LabelFacts, TableRateCarrier

# 4x6 inches at 203 dpi, the common thermal shipping label.
_WIDTH_DOTS = 812
_LENGTH_DOTS = 1218


def render_zpl(carrier_name: str, label: LabelFacts) -> str:
    """ZPL II for the label. Every field is validated text ([A-Z0-9_ -]), so none needs escaping."""
    facts = label.facts
    day = facts.label_date.isoformat()
    return "\n".join(
        (
            "^XA",
            "^CI28",
            f"^PW{_WIDTH_DOTS}",
            f"^LL{_LENGTH_DOTS}",
            f"^FO40,40^A0N,50,50^FD{carrier_name}^FS",
            f"^FO40,110^A0N,40,40^FD{label.service}^FS",
            f"^FO40,170^A0N,30,30^FDZone {facts.zone}  {facts.billable_kg} kg  {day}^FS",
            "^FO40,230^GB732,3,3^FS",
            f"^FO60,280^BY3^BCN,200,Y,N,N^FD{label.tracking_number}^FS",
            "^XZ",
            "",
        )
    )


def label_routes(carrier: TableRateCarrier) -> list[BaseRoute]:
    """``GET /labels/{tracking_number}``: the label as ZPL, or 404 for a number that is not ours."""

    async def label(request: Request) -> Response:
        tracking_number = request.path_params["tracking_number"]
        try:
            facts = carrier.parse(tracking_number)
        except CarrierError as exc:
            return PlainTextResponse(exc.message, status_code=404)
        return PlainTextResponse(
            render_zpl(carrier.name, facts),
            headers={"Content-Disposition": f'inline; filename="{facts.tracking_number}.zpl"'},
        )

    return [Route("/labels/{tracking_number}", label, methods=["GET"], name="tablerate_label")]
