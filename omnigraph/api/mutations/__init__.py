"""Root Mutation: one small module per mutation, each validating and delegating."""

import strawberry

from omnigraph.api.mutations.accept_fulfillment_order import accept_fulfillment_order
from omnigraph.api.mutations.adjust_inventory import AdjustInventoryPayload, adjust_inventory
from omnigraph.api.mutations.cancel_order import CancelOrderPayload, cancel_order
from omnigraph.api.mutations.cancel_order_lines import (
    CancelOrderLinesPayload,
    cancel_order_lines,
)
from omnigraph.api.mutations.change_order import ChangeOrderPayload, change_order
from omnigraph.api.mutations.create_order import CreateOrderPayload, create_order
from omnigraph.api.mutations.delete_sourcing_margin_rule import (
    DeleteSourcingMarginRulePayload,
    delete_sourcing_margin_rule,
)
from omnigraph.api.mutations.delete_sourcing_rule import (
    DeleteSourcingRulePayload,
    delete_sourcing_rule,
)
from omnigraph.api.mutations.hand_over_fulfillment_order import hand_over_fulfillment_order
from omnigraph.api.mutations.inspect_return import inspect_return
from omnigraph.api.mutations.mark_ready_for_pickup import mark_ready_for_pickup
from omnigraph.api.mutations.pack_fulfillment_order import pack_fulfillment_order
from omnigraph.api.mutations.receive_return import receive_return
from omnigraph.api.mutations.receive_transfer import receive_transfer
from omnigraph.api.mutations.record_inventory_count import (
    RecordInventoryCountPayload,
    record_inventory_count,
)
from omnigraph.api.mutations.record_tracking_update import (
    RecordTrackingUpdatePayload,
    record_tracking_update,
)
from omnigraph.api.mutations.reject_fulfillment_order import reject_fulfillment_order
from omnigraph.api.mutations.release_order import ReleaseOrderPayload, release_order
from omnigraph.api.mutations.release_reservation import (
    ReleaseReservationPayload,
    release_reservation,
)
from omnigraph.api.mutations.request_return import request_return
from omnigraph.api.mutations.reserve_inventory import ReserveInventoryPayload, reserve_inventory
from omnigraph.api.mutations.scan_item import scan_item
from omnigraph.api.mutations.set_inventory import SetInventoryPayload, set_inventory
from omnigraph.api.mutations.set_payment_status import (
    SetPaymentStatusPayload,
    set_payment_status,
)
from omnigraph.api.mutations.set_product_bin import SetProductBinPayload, set_product_bin
from omnigraph.api.mutations.set_sourcing_exclusions import (
    SourcingExclusionsPayload,
    set_sourcing_exclusions,
)
from omnigraph.api.mutations.set_sourcing_margin_rule import (
    SourcingMarginRulePayload,
    set_sourcing_margin_rule,
)
from omnigraph.api.mutations.set_sourcing_rule import SourcingRulePayload, set_sourcing_rule
from omnigraph.api.mutations.ship_fulfillment_order import ship_fulfillment_order
from omnigraph.api.mutations.short_pick import short_pick
from omnigraph.api.mutations.stock_rules import (
    RuleChangePayload,
    SetCustomerTierPayload,
    delete_channel_exposure_rule,
    delete_protected_stock_rule,
    delete_safety_stock_rule,
    set_channel_exposure_rule,
    set_customer_tier,
    set_protected_stock_rule,
    set_safety_stock_rule,
)
from omnigraph.api.types.fulfilment import FulfillmentOrderPayload
from omnigraph.api.types.return_payload import ReturnPayload


@strawberry.type
class Mutation:
    create_order: CreateOrderPayload = strawberry.mutation(resolver=create_order)
    cancel_order: CancelOrderPayload = strawberry.mutation(resolver=cancel_order)
    set_payment_status: SetPaymentStatusPayload = strawberry.mutation(
        resolver=set_payment_status,
        description="Mark an order's payment AUTHORIZED, PAID or ON_HOLD; a held order is "
        "not released until its payment is cleared.",
    )
    adjust_inventory: AdjustInventoryPayload = strawberry.mutation(resolver=adjust_inventory)
    set_inventory: SetInventoryPayload = strawberry.mutation(resolver=set_inventory)
    reserve_inventory: ReserveInventoryPayload = strawberry.mutation(resolver=reserve_inventory)
    release_reservation: ReleaseReservationPayload = strawberry.mutation(
        resolver=release_reservation
    )
    record_inventory_count: RecordInventoryCountPayload = strawberry.mutation(
        resolver=record_inventory_count
    )
    set_safety_stock_rule: RuleChangePayload = strawberry.mutation(resolver=set_safety_stock_rule)
    delete_safety_stock_rule: RuleChangePayload = strawberry.mutation(
        resolver=delete_safety_stock_rule
    )
    set_channel_exposure_rule: RuleChangePayload = strawberry.mutation(
        resolver=set_channel_exposure_rule
    )
    delete_channel_exposure_rule: RuleChangePayload = strawberry.mutation(
        resolver=delete_channel_exposure_rule
    )
    set_protected_stock_rule: RuleChangePayload = strawberry.mutation(
        resolver=set_protected_stock_rule
    )
    delete_protected_stock_rule: RuleChangePayload = strawberry.mutation(
        resolver=delete_protected_stock_rule
    )
    set_customer_tier: SetCustomerTierPayload = strawberry.mutation(resolver=set_customer_tier)
    set_sourcing_rule: SourcingRulePayload = strawberry.mutation(resolver=set_sourcing_rule)
    delete_sourcing_rule: DeleteSourcingRulePayload = strawberry.mutation(
        resolver=delete_sourcing_rule
    )
    set_sourcing_exclusions: SourcingExclusionsPayload = strawberry.mutation(
        resolver=set_sourcing_exclusions
    )
    set_sourcing_margin_rule: SourcingMarginRulePayload = strawberry.mutation(
        resolver=set_sourcing_margin_rule
    )
    delete_sourcing_margin_rule: DeleteSourcingMarginRulePayload = strawberry.mutation(
        resolver=delete_sourcing_margin_rule
    )
    release_order: ReleaseOrderPayload = strawberry.mutation(resolver=release_order)
    accept_fulfillment_order: FulfillmentOrderPayload = strawberry.mutation(
        resolver=accept_fulfillment_order
    )
    reject_fulfillment_order: FulfillmentOrderPayload = strawberry.mutation(
        resolver=reject_fulfillment_order
    )
    scan_item: FulfillmentOrderPayload = strawberry.mutation(resolver=scan_item)
    short_pick: FulfillmentOrderPayload = strawberry.mutation(resolver=short_pick)
    pack_fulfillment_order: FulfillmentOrderPayload = strawberry.mutation(
        resolver=pack_fulfillment_order
    )
    mark_ready_for_pickup: FulfillmentOrderPayload = strawberry.mutation(
        resolver=mark_ready_for_pickup
    )
    hand_over_fulfillment_order: FulfillmentOrderPayload = strawberry.mutation(
        resolver=hand_over_fulfillment_order
    )
    ship_fulfillment_order: FulfillmentOrderPayload = strawberry.mutation(
        resolver=ship_fulfillment_order
    )
    record_tracking_update: RecordTrackingUpdatePayload = strawberry.mutation(
        resolver=record_tracking_update
    )
    set_product_bin: SetProductBinPayload = strawberry.mutation(resolver=set_product_bin)
    cancel_order_lines: CancelOrderLinesPayload = strawberry.mutation(resolver=cancel_order_lines)
    change_order: ChangeOrderPayload = strawberry.mutation(resolver=change_order)
    request_return: ReturnPayload = strawberry.mutation(resolver=request_return)
    receive_return: ReturnPayload = strawberry.mutation(resolver=receive_return)
    inspect_return: ReturnPayload = strawberry.mutation(resolver=inspect_return)
    receive_transfer: FulfillmentOrderPayload = strawberry.mutation(resolver=receive_transfer)
