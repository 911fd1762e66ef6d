"""Mapping a model row to its response, one way: `response_of(Schema, row, **computed)`.

The response struct's fields are read from the row's attributes of the same names (msgspec
converts them: a stored string to its enumeration, a JSON object to its struct); `computed` gives
the fields the row does not hold (a member count, the leader in office). A response that needs
nothing else is `response_of(Schema, row)`; one built by hand field by field is not written any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

S = TypeVar("S")


class _With:
    """The row's attributes, with `computed` in front of them."""

    __slots__ = ("_computed", "_row")

    def __init__(self, row: Any, computed: Mapping[str, Any]) -> None:
        self._row = row
        self._computed = computed

    def __getattr__(self, name: str) -> Any:
        if name in self._computed:
            return self._computed[name]
        return getattr(self._row, name)


def response_of(schema: type[S], row: Any, **computed: Any) -> S:
    return msgspec.convert(_With(row, computed) if computed else row, schema, from_attributes=True)
