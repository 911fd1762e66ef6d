"""What a row of an import file may hold: identifiers (BIN, IIN), e-mail addresses, lists.

A finding is stored with the row as `{"column", "level", "message", "params"}`: the message is an
English template (marked for translation) and its values, so the report is written in the
language of whoever reads it, whenever they read it.
"""

from __future__ import annotations

import re
from typing import Any

from api.domain.organisations.rules import bin_check_digit
from api.i18n import N_, use_locale
from api.i18n import gettext as _lookup

EMAIL = re.compile(r"^[^@\s,;<>()\[\]\"]+@[^@\s,;<>()\[\]\"]+\.[^@\s,;<>()\[\]\"]+$")
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE][+]?\d+$")
_DECIMAL_ZERO = re.compile(r"^(\d+)[.,]0+$")
LIST_SEPARATORS = re.compile(r"[;,|\n]+")


def issue(column: str | None, message: str, level: str = "error", **params: Any) -> dict[str, Any]:
    return {"column": column, "level": level, "message": message, "params": {k: str(v) for k, v in params.items()}}


# Values put into findings that are words of their own (the kind of identifier).
WORDS = (N_("BIN"), N_("IIN"))


def render(found: dict[str, Any], locale: str | None = None) -> str:
    """A finding in the reader's language."""

    def text() -> str:
        template = _lookup(found["message"])
        params = {k: _lookup(v) if v in WORDS else v for k, v in found.get("params", {}).items()}
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return found["message"]

    if locale is None:
        return text()
    with use_locale(locale):
        return text()


def text_of(value: Any) -> str:
    """A cell as text: numbers without a spurious `.0`, whitespace collapsed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return " ".join(str(value).split())


def identifier(value: Any, column: str, what: str) -> tuple[str | None, list[dict[str, Any]]]:
    """A BIN or an IIN (`what`), as a spreadsheet may have left it.

    - a number cell (XLSX) keeps every digit: its lost leading zeros are put back, and reported;
    - `701234567890.0`: the decimal part is dropped, and reported;
    - `7.01E+11`: the digits are gone; refused with how to keep them;
    - then 12 digits and the check digit (weights 1..11, then 3..11,1,2 when the first gives 10).
    """
    found: list[dict[str, Any]] = []
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        digits = str(value)
    else:
        raw = "".join(text_of(value).split())
        if not raw:
            return None, [issue(column, N_("The {what} is missing."), what=what)]
        if _SCIENTIFIC.match(raw):
            return None, [
                issue(
                    column,
                    N_(
                        "The {what} {value} was shown by a spreadsheet in exponent form and its digits are lost; "
                        "format the column as text and type the {what} again."
                    ),
                    what=what,
                    value=raw,
                )
            ]
        zero = _DECIMAL_ZERO.match(raw)
        if zero:
            raw = zero.group(1)
            found.append(issue(column, N_("The {what} had a decimal part .0, dropped."), "warning", what=what))
        digits = raw
    if not digits.isdigit():
        return None, [*found, issue(column, N_("The {what} {value} must be 12 digits."), what=what, value=digits)]
    if len(digits) > 12:
        return None, [
            *found,
            issue(
                column,
                N_("The {what} {value} has {count} digits; it must have 12."),
                what=what,
                value=digits,
                count=len(digits),
            ),
        ]
    if len(digits) < 12:
        padded = digits.zfill(12)
        if not _valid(padded):
            return None, [
                *found,
                issue(
                    column,
                    N_("The {what} {value} has {count} digits; it must have 12."),
                    what=what,
                    value=digits,
                    count=len(digits),
                ),
            ]
        found.append(
            issue(
                column,
                N_(
                    "The {what} {value} had lost its leading zeros (a number column in a spreadsheet); read as {fixed}."
                ),
                "warning",
                what=what,
                value=digits,
                fixed=padded,
            )
        )
        digits = padded
    if not _valid(digits):
        return None, [*found, issue(column, N_("The {what} {value} has a wrong check digit."), what=what, value=digits)]
    return digits, found


def _valid(digits: str) -> bool:
    return bin_check_digit(digits[:11]) == int(digits[11])


def iin_birth_date_valid(iin: str) -> bool:
    """An IIN begins with the birth date YYMMDD; its 7th digit gives the century and sex (1-6)."""
    month, day = int(iin[2:4]), int(iin[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31 and iin[6] in "0123456"


def email_of(value: Any, column: str) -> tuple[str | None, list[dict[str, Any]]]:
    text = text_of(value).strip().lower()
    if not text:
        return None, []
    if len(text) > 320 or not EMAIL.match(text):
        return None, [issue(column, N_("{value} is not an e-mail address."), value=text[:100])]
    return text, []


def split_list(value: Any) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(text_of(value)) if part.strip()]


def name_of(
    value: Any, column: str, *, required: bool, max_length: int = 300
) -> tuple[str | None, list[dict[str, Any]]]:
    from api.text import REFUSED_IN_A_LINE

    text = text_of(value)
    if not text:
        return None, [issue(column, N_("The name is missing."))] if required else []
    if REFUSED_IN_A_LINE.search(text):
        return None, [
            issue(
                column,
                N_("Control characters, line breaks and bidirectional-formatting characters are not allowed here."),
            )
        ]
    if len(text) > max_length:
        return None, [issue(column, N_("The name is longer than {max} characters."), max=max_length)]
    return text, []
