"""Root Mutation: one small module per mutation, each validating and delegating."""

import strawberry

from omnigraph.api.mutations.adjust_inventory import AdjustInventoryPayload, adjust_inventory
from omnigraph.api.mutations.cancel_order import CancelOrderPayload, cancel_order
from omnigraph.api.mutations.create_order import CreateOrderPayload, create_order
from omnigraph.api.mutations.record_inventory_count import (
    RecordInventoryCountPayload,
    record_inventory_count,
)
from omnigraph.api.mutations.release_reservation import (
    ReleaseReservationPayload,
    release_reservation,
)
from omnigraph.api.mutations.reserve_inventory import ReserveInventoryPayload, reserve_inventory
from omnigraph.api.mutations.set_inventory import SetInventoryPayload, set_inventory
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


@strawberry.type
class Mutation:
    create_order: CreateOrderPayload = strawberry.mutation(resolver=create_order)
    cancel_order: CancelOrderPayload = strawberry.mutation(resolver=cancel_order)
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
