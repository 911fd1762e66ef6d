"""The text the API accepts in names and free text: no control or bidirectional-formatting characters.

A NUL cannot be stored by PostgreSQL at all; other C0/C1 controls and the bidirectional overrides
and isolates (U+202A–U+202E, U+2066–U+2069, the direction marks) can make a name display as
something it is not ("Trojan Source"-style spoofing in lists, e-mails and audit entries). Names
refuse all of them; multi-line texts allow tab, line feed and carriage return.

The rules are msgspec patterns, so they are checked while the body is decoded, before any
service runs, and the OpenAPI document declares them; `PATTERN_MESSAGES` turns msgspec's
"Expected `str` matching regex …" into a sentence a person can act on.
"""

from __future__ import annotations

import re
from typing import Any

from msgspec import Meta

from api.i18n import N_

# Bidirectional formatting: LRM, RLM, ALM, the embeddings and overrides, the isolates.
_BIDI = r"\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
_NOT_IN_A_LINE = rf"\x00-\x1f\x7f-\x9f{_BIDI}"  # C0, DEL and C1 controls (line breaks among them)
_NOT_IN_LINES = rf"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}"  # the same but tab, LF and CR
SINGLE_LINE = rf"^[^{_NOT_IN_A_LINE}]*$"
MULTI_LINE = rf"^[^{_NOT_IN_LINES}]*$"
# For text that is no body field (query parameters): the first character a single line refuses.
REFUSED_IN_A_LINE = re.compile(rf"[{_NOT_IN_A_LINE}]")

PATTERN_MESSAGES: dict[str, str] = {
    f"Expected `str` matching regex {SINGLE_LINE!r}": N_(
        "Control characters, line breaks and bidirectional-formatting characters are not allowed here."
    ),
    f"Expected `str` matching regex {MULTI_LINE!r}": N_(
        "Control characters and bidirectional-formatting characters are not allowed here."
    ),
}


def single_line(*, min_length: int = 1, max_length: int, **extra: Any) -> Meta:
    """A name or title: one line of text."""
    return Meta(min_length=min_length, max_length=max_length, pattern=SINGLE_LINE, **extra)


def multi_line(*, max_length: int, min_length: int | None = None, **extra: Any) -> Meta:
    """A note, description or minutes: lines of text."""
    if min_length is not None:
        extra["min_length"] = min_length
    return Meta(max_length=max_length, pattern=MULTI_LINE, **extra)
