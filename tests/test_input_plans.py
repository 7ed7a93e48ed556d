"""Input plans build exactly what strawberry's own conversion builds, for every input type."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

import graphql
import pytest
import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.relay import GlobalID
from strawberry.types.arguments import convert_argument
from strawberry.types.base import get_object_definition

from omnigraph.api.input_plans import InputPlan, input_classes, plan_inputs
from omnigraph.api.schema import build_schema

SCHEMA = build_schema()
INPUTS = {get_object_definition(cls, strict=True).name: cls for cls in input_classes(SCHEMA)}

_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "String": st.text(max_size=8),
    "ID": st.text(max_size=8),
    "Int": st.integers(-(2**31), 2**31 - 1),
    "Float": st.floats(allow_nan=False, allow_infinity=False),
    "Boolean": st.booleans(),
    "Date": st.dates(),
    "DateTime": st.datetimes(),
    "Decimal": st.decimals(allow_nan=False, allow_infinity=False, places=2),
    "JSON": st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
}


def _values(kind: graphql.GraphQLInputType, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``kind`` as graphql-core hands them to strawberry after coercing them."""
    if isinstance(kind, graphql.GraphQLNonNull):
        return _values(kind.of_type, depth)
    nullable = not isinstance(kind, graphql.GraphQLNonNull)
    inner: st.SearchStrategy[Any]
    if isinstance(kind, graphql.GraphQLList):
        inner = st.lists(_values(kind.of_type, depth + 1), max_size=2 if depth < 2 else 0)
    elif isinstance(kind, graphql.GraphQLEnumType):
        inner = st.sampled_from([value.value for value in kind.values.values()])
    elif isinstance(kind, graphql.GraphQLScalarType):
        inner = _SCALARS[kind.name]
    else:
        assert isinstance(kind, graphql.GraphQLInputObjectType)
        inner = _objects(kind, depth)
    return st.one_of(st.none(), inner) if nullable else inner


def _objects(kind: graphql.GraphQLInputObjectType, depth: int) -> st.SearchStrategy[Any]:
    required = {
        name: _values(field.type, depth + 1)
        for name, field in kind.fields.items()
        if isinstance(field.type, graphql.GraphQLNonNull)
        and field.default_value is graphql.Undefined
    }
    optional = {
        name: _values(field.type, depth + 1)
        for name, field in kind.fields.items()
        if name not in required
    }
    return st.fixed_dictionaries(required, optional=optional)


@contextlib.contextmanager
def strawberry_conversion() -> Iterator[None]:
    """Strawberry's own conversion, field by field, for the duration."""
    definitions = [get_object_definition(cls, strict=True) for cls in INPUTS.values()]
    hooks = [definition.from_input for definition in definitions]
    for definition in definitions:
        definition.from_input = None
    try:
        yield
    finally:
        for definition, hook in zip(definitions, hooks, strict=True):
            definition.from_input = hook


def test_every_input_type_of_the_schema_has_a_plan() -> None:
    assert INPUTS
    for name, cls in INPUTS.items():
        hook = get_object_definition(cls, strict=True).from_input
        assert hook is not None, name
        assert isinstance(getattr(hook, "__self__", None), InputPlan), name


@pytest.mark.parametrize("name", sorted(INPUTS))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_plan_builds_what_strawberry_builds(name: str, data: st.DataObject) -> None:
    cls = INPUTS[name]
    kind = SCHEMA._schema.type_map[name]
    assert isinstance(kind, graphql.GraphQLInputObjectType)
    value = data.draw(_objects(kind, 0))
    registry = SCHEMA.schema_converter.scalar_registry
    planned = convert_argument(value, cls, registry, SCHEMA.config)
    with strawberry_conversion():
        expected = convert_argument(value, cls, registry, SCHEMA.config)
    assert_same(planned, expected)


def assert_same(planned: Any, expected: Any) -> None:
    """Equal, and of the same types all the way down (a StrEnum equals its text)."""
    assert type(planned) is type(expected), (planned, expected)
    if dataclasses.is_dataclass(expected):
        for field in dataclasses.fields(expected):
            assert_same(getattr(planned, field.name), getattr(expected, field.name))
    elif isinstance(expected, list):
        assert len(planned) == len(expected)
        for mine, theirs in zip(planned, expected, strict=True):
            assert_same(mine, theirs)
    else:
        assert planned == expected


@strawberry.input
class Tags:
    names: list[str] = strawberry.field(default_factory=lambda: ["a"])
    nested: list[Tags] | None = None


@strawberry.type
class TagQuery:
    @strawberry.field
    def count(self, tags: Tags) -> int:
        return len(tags.names) + sum(len(inner.names) for inner in tags.nested or ())


@strawberry.input
class Patch:
    note: strawberry.Maybe[str]


@strawberry.type
class PatchQuery:
    @strawberry.field
    def noted(self, patch: Patch) -> str:
        return "set" if patch.note else "unset"


def test_lists_are_copied_so_a_shared_default_never_leaks_between_requests() -> None:
    schema = strawberry.Schema(query=TagQuery)
    plans = plan_inputs(schema)
    given_list = ["x", "y"]
    built = plans[Tags].build({"names": given_list, "nested": [{"names": ["z"]}]})
    assert built == Tags(names=["x", "y"], nested=[Tags(names=["z"])])
    assert built.names is not given_list
    result = schema.execute_sync('{ count(tags: {names: ["p", "q"], nested: [{names: ["r"]}]}) }')
    assert result.errors is None and result.data == {"count": 3}


def test_a_type_with_a_field_plans_do_not_cover_keeps_strawberrys_conversion() -> None:
    schema = strawberry.Schema(query=PatchQuery)
    assert plan_inputs(schema) == {}
    assert get_object_definition(Patch, strict=True).from_input is None
    assert schema.execute_sync('{ noted(patch: {note: "x"}) }').data == {"noted": "set"}


@strawberry.input
class Holder:
    share: Share | None = None
    ref: GlobalID | None = None  # a field plans leave to strawberry
    name: str = "x"


@strawberry.input
class Share:
    holder: Holder | None = None
    label: str = ""


@strawberry.type
class ShareQuery:
    # Holder comes first, so a plan for Holder is begun first: Share's plan is made inside
    # it, with Holder's unfinished one, before Holder's GlobalID stops it.
    @strawberry.field
    def holder(self, holder: Holder) -> str:
        return holder.name

    @strawberry.field
    def share(self, share: Share) -> str:
        holder = share.holder
        return f"{share.label}/{holder.name if holder else '-'}/{holder.ref if holder else '-'}"


def test_no_plan_is_kept_that_leans_on_a_type_plans_do_not_cover() -> None:
    schema = strawberry.Schema(query=ShareQuery)
    query = '{ share(share: {label: "L", holder: {name: "N", ref: "VXNlcjox"}}) }'
    expected = schema.execute_sync(query).data
    assert plan_inputs(schema) == {}  # Share holds Holder, which holds a GlobalID
    assert schema.execute_sync(query).data == expected == {"share": "L/N/VXNlcjox"}


@strawberry.input
class Cents:
    amount: int


@strawberry.input
class Priced:
    price: Cents
    note: str = ""


@strawberry.type
class PricedQuery:
    @strawberry.field
    def cents(self, priced: Priced) -> int:
        return priced.price.amount


def test_a_nested_input_that_builds_its_own_value_keeps_doing_so() -> None:
    def in_cents(cls: type, value: Any, context: Any) -> Cents:
        return Cents(amount=value["amount"] * 100)

    get_object_definition(Cents, strict=True).from_input = in_cents
    schema = strawberry.Schema(query=PricedQuery)
    assert plan_inputs(schema) == {}  # Priced holds Cents, which has a hook of its own
    assert schema.execute_sync("{ cents(priced: {price: {amount: 2}}) }").data == {"cents": 200}


@strawberry.input
class Parcel:
    weight: int


class HeavyParcel(Parcel):
    """A subclass without a definition of its own: strawberry may build it from Parcel's."""


@strawberry.type
class ParcelQuery:
    @strawberry.field
    def weight(self, parcel: Parcel) -> int:
        return parcel.weight


def test_a_plan_builds_the_class_strawberry_asks_for() -> None:
    schema = strawberry.Schema(query=ParcelQuery)
    assert Parcel in plan_inputs(schema)
    registry = schema.schema_converter.scalar_registry
    built = convert_argument({"weight": 3}, HeavyParcel, registry, schema.config)
    assert type(built) is HeavyParcel and built.weight == 3
