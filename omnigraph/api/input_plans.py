"""Input objects built by a plan worked out once per type, not per request.

Strawberry converts an argument's input objects into their classes field by field, and
for every field of every request it resolves the field's type annotation and its GraphQL
name again: for ``createOrder``'s input (42 values) that costs about 0.4 ms a request.
The result depends only on the type, so here each input type gets a plan when the schema
is built (its fields' GraphQL and Python names, and how to convert each one's value) and
hands it to strawberry through ``StrawberryObjectDefinition.from_input``, strawberry's
hook for types that build their own value.

A plan does what strawberry's ``convert_argument`` does for the kinds of field this schema
has: scalars and enums as graphql-core parsed them, lists (copied), optional values, and
nested input objects. A type with any other kind of field (``Maybe``, ``GlobalID``) keeps
strawberry's conversion. ``tests/test_input_plans.py`` compares the two on every input
type of the schema.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import strawberry
from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    StrawberryType,
    get_object_definition,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any], Any]
Registry = Mapping[object, Any]


class Unplanned(Exception):
    """A field of a kind plans leave to strawberry."""


def _same(value: Any) -> Any:
    return value


def _copied(value: Any) -> Any:
    # graphql-core hands every request that omits a list the same default object.
    return value if value is None or value is UNSET else list(value)


@dataclasses.dataclass(slots=True)
class InputPlan:
    """How to build one input class from its GraphQL value (a dict by GraphQL names)."""

    cls: type
    # Fields without a default are None unless given, as strawberry makes them.
    unset: dict[str, None]
    fields: tuple[tuple[str, str, Convert], ...] = ()  # (GraphQL name, Python name, convert)

    def build(self, value: Any, cls: type | None = None) -> Any:
        if value is None or value is UNSET:
            return value
        kwargs: dict[str, Any] = dict(self.unset)
        for graphql_name, python_name, convert in self.fields:
            if graphql_name in value:
                kwargs[python_name] = convert(value[graphql_name])
        return (cls or self.cls)(**kwargs)

    def from_input(self, cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        # ``cls`` may be a subclass without a definition of its own (same fields).
        return self.build(value, cls)


class _Planner:
    def __init__(self, schema: strawberry.Schema) -> None:
        self._config = schema.config
        self._registry: Registry = schema.schema_converter.scalar_registry
        self._plans: dict[type, InputPlan] = {}

    def plan(self, cls: type) -> InputPlan:
        """``cls``'s plan, and its nested inputs'; ``Unplanned`` (and none of the plans made
        on the way kept, for some may hold an unfinished one) if any field is not covered."""
        made_before = dict(self._plans)
        try:
            return self._plan(cls)
        except Unplanned:
            self._plans = made_before
            raise

    def _plan(self, cls: type) -> InputPlan:
        if cls in self._plans:  # also a plan still being made: recursive inputs
            return self._plans[cls]
        definition: StrawberryObjectDefinition = get_object_definition(cls, strict=True)
        if definition.from_input is not None:
            raise Unplanned(cls)  # it builds its own value (a pydantic input, say)
        plan = InputPlan(
            cls,
            {
                field.python_name: None
                for field in definition.fields
                if field.default_value is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            },
        )
        self._plans[cls] = plan
        plan.fields = tuple(
            (
                self._config.name_converter.from_field(field),
                field.python_name,
                self._convert(field.resolve_type(type_definition=definition)),
            )
            for field in definition.fields
        )
        return plan

    def _convert(self, type_: StrawberryType | type) -> Convert:
        if isinstance(type_, StrawberryMaybe) or type_ is GlobalID:
            raise Unplanned(type_)
        if isinstance(type_, StrawberryOptional):
            return self._convert(type_.of_type)  # every converter passes None on
        if isinstance(type_, LazyType):
            return self._convert(type_.resolve_type())
        if isinstance(type_, StrawberryList):
            item = self._convert(type_.of_type)
            if item is _same:
                return _copied
            return lambda value: (
                value if value is None or value is UNSET else [item(x) for x in value]
            )
        if self._is_leaf(type_):
            return _same
        if has_object_definition(type_) and type_.__strawberry_definition__.is_input:
            return self._plan(type_).build
        raise Unplanned(type_)

    def _is_leaf(self, type_: StrawberryType | type) -> bool:
        return (
            is_scalar(type_, self._registry)
            or isinstance(type_, StrawberryEnumDefinition)
            or has_enum_definition(type_)
        )


def input_classes(schema: strawberry.Schema) -> list[type]:
    """Every input class of ``schema``."""
    found = []
    for concrete in schema.schema_converter.type_map.values():
        definition = concrete.definition
        if isinstance(definition, StrawberryObjectDefinition) and definition.is_input:
            found.append(definition.origin)
    return found


def plan_inputs(schema: strawberry.Schema) -> dict[type, InputPlan]:
    """Give each input class of ``schema`` that has none yet a plan as its ``from_input``;
    returns the plans given.

    The plans are the classes' own, so they take the GraphQL names of this schema's
    configuration: the classes must not also serve a schema that names fields otherwise.
    """
    planner = _Planner(schema)
    given: dict[type, InputPlan] = {}
    for cls in input_classes(schema):
        definition = get_object_definition(cls, strict=True)
        if definition.from_input is not None:
            continue
        try:
            plan = planner.plan(cls)
        except Unplanned:
            continue
        given[cls] = plan
    for cls, plan in given.items():
        get_object_definition(cls, strict=True).from_input = plan.from_input
    return given
