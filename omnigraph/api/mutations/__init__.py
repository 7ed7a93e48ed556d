"""Root Mutation: one small module per mutation, each validating and delegating."""

import strawberry

from omnigraph.api.mutations.adjust_inventory import AdjustInventoryPayload, adjust_inventory
from omnigraph.api.mutations.cancel_order import CancelOrderPayload, cancel_order
from omnigraph.api.mutations.create_order import CreateOrderPayload, create_order
from omnigraph.api.mutations.set_inventory import SetInventoryPayload, set_inventory


@strawberry.type
class Mutation:
    create_order: CreateOrderPayload = strawberry.mutation(resolver=create_order)
    cancel_order: CancelOrderPayload = strawberry.mutation(resolver=cancel_order)
    adjust_inventory: AdjustInventoryPayload = strawberry.mutation(resolver=adjust_inventory)
    set_inventory: SetInventoryPayload = strawberry.mutation(resolver=set_inventory)
