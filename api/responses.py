"""Mapping a model row to its response, one way: `response_of(Schema, row, **computed)`.

The response struct's fields are read from the row's attributes (or a Core row's columns) of the
same names, and msgspec converts them: a stored string to its enumeration, a JSON object or a
nested model to its struct. `computed` gives the fields the row does not hold (a member count, the
leader in office). A response that needs nothing else is `response_of(Schema, row)`; one built by
hand field by field is not written any more.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

S = TypeVar("S")


def response_of(schema: type[S], row: Any, **computed: Any) -> S:
    # The fields gathered into a dict first: msgspec converts a dict in C, where reading them off
    # the row through a Python proxy cost lists a third of their time (docs/performance.md).
    columns = getattr(row, "_fields", None)
    if columns is not None:  # a Core row: its columns by name, read in C (keys the schema lacks are ignored)
        values = dict(zip(columns, row, strict=True))
    elif isinstance(row, dict):
        values = dict(row)
    else:
        # Not a computed field's namesake on the row: it may be a relationship that would load.
        fields: tuple[str, ...] = schema.__struct_fields__  # type: ignore[attr-defined]
        values = {name: getattr(row, name) for name in fields if name not in computed and hasattr(row, name)}
    if computed:
        values.update(computed)
    return msgspec.convert(values, schema, from_attributes=True)
