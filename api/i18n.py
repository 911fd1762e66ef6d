"""Kazakh, Russian and English: one set of Babel catalogues for the API's messages and the web pages.

The catalogues live in `web/locales/<locale>/LC_MESSAGES/messages.po`; the compiled `.mo` files are
not kept in git, so they are compiled here when missing or older than their `.po` (also by
`make translations`). The current language is a context variable: the web app sets it per request,
the API's error handlers set it from the caller's Accept-Language. English is the source language:
without a chosen language messages stay as written.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from api.settings import PROJECT_ROOT

LOCALES: tuple[str, ...] = ("kk", "ru", "en")
SOURCE_LOCALE = "en"
DOMAIN = "messages"
LOCALE_DIR = PROJECT_ROOT / "web" / "locales"

_current: ContextVar[str] = ContextVar("metodist_locale", default=SOURCE_LOCALE)
_compile_lock = threading.Lock()


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


# --- catalogues ---------------------------------------------------------------------------------


def po_path(locale: str, directory: Path = LOCALE_DIR) -> Path:
    return directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compile(po: Path, mo: Path) -> None:
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name)
    # Written beside the target and renamed, so a concurrent reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog)
        os.chmod(tmp, 0o644)  # like any other file of the project, not private as mkstemp makes it
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compile_catalogues(directory: Path = LOCALE_DIR, *, force: bool = False) -> list[Path]:
    """Compiles every `.po` whose `.mo` is missing or stale; returns the `.mo` files written."""
    written: list[Path] = []
    with _compile_lock:
        for locale in LOCALES:
            po = po_path(locale, directory)
            if not po.exists():
                continue
            mo = po.with_suffix(".mo")
            if force or not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                _compile(po, mo)
                written.append(mo)
    return written


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    if locale not in LOCALES:
        return NullTranslations()
    try:
        compile_catalogues()
    except OSError:
        # A read-only installation: compile this catalogue in memory instead.
        po = po_path(locale)
        if not po.exists():
            return NullTranslations()
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return Translations(buffer, domain=DOMAIN)
    return Translations.load(str(LOCALE_DIR), [locale], domain=DOMAIN)


# --- the current language -----------------------------------------------------------------------


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else SOURCE_LOCALE)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale if locale in LOCALES else SOURCE_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext

_LANGUAGE_RANGE = re.compile(r"^\s*([A-Za-z]{1,8})(?:[-_][A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def negotiate(accept_language: str | None, available: tuple[str, ...] = LOCALES) -> str | None:
    """The best of our languages for an Accept-Language header, or None when it names none of them."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        match = _LANGUAGE_RANGE.match(part)
        if not match:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        language = match.group(1).lower()
        if quality > 0 and language in available:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


# --- labels of domain values --------------------------------------------------------------------

# Values the API sends as codes (organisation kinds, statuses, education levels, territory kinds);
# they are shown, and put into translated messages, by these labels. Codes are unique across groups.
KIND_LABELS: Mapping[str, str] = {
    "school": N_("School"),
    "college": N_("College"),
    "university": N_("University"),
    "cabinet_republic": N_("Republican methodological cabinet"),
    "cabinet_region": N_("Regional methodological cabinet"),
    "cabinet_city": N_("City methodological cabinet"),
    "cabinet_district": N_("District methodological cabinet"),
}
STATUS_LABELS: Mapping[str, str] = {
    "provisioning": N_("Being prepared"),
    "active": N_("Active"),
    "suspended": N_("Suspended"),
    "archived": N_("Archived"),
    "failed": N_("Preparation failed"),
}
LEVEL_LABELS: Mapping[str, str] = {
    "primary": N_("Primary education"),
    "basic_secondary": N_("Basic secondary education"),
    "general_secondary": N_("General secondary education"),
    "technical_vocational": N_("Technical and vocational education"),
    "post_secondary": N_("Post-secondary education"),
    "higher": N_("Higher education"),
    "postgraduate": N_("Postgraduate education"),
}
TERRITORY_KIND_LABELS: Mapping[str, str] = {
    "republic": N_("Republic"),
    "region": N_("Region"),
    "city": N_("City of republican significance"),
    "district": N_("District"),
    "town": N_("Town of regional significance"),
}
# Roles as people say them: refusals name them so, never by their codes.
ROLE_LABELS: Mapping[str, str] = {
    "national_admin": N_("National administrator"),
    "national_methodist": N_("National methodist"),
    "regional_admin": N_("Regional administrator"),
    "regional_methodist": N_("Regional methodist"),
    "district_methodist": N_("District methodist"),
    "organisation_admin": N_("Organisation administrator"),
    "head": N_("Head of the organisation"),
    "deputy_head": N_("Deputy head for academic work"),
    "unit_head": N_("Head of a unit"),
    "council_chair": N_("Council chair"),
    "council_secretary": N_("Council secretary"),
    "association_leader": N_("Association leader"),
    "teacher": N_("Teacher"),
}
_ALL_LABELS: dict[str, str] = {**KIND_LABELS, **STATUS_LABELS, **LEVEL_LABELS, **TERRITORY_KIND_LABELS, **ROLE_LABELS}


def label(code: str | None) -> str:
    """The translated label of a domain code; an unknown code is shown as it is."""
    if code is None:
        return ""
    known = _ALL_LABELS.get(code)
    return gettext(known) if known else code


# --- messages that carry values -----------------------------------------------------------------

# The API's errors are written in English with values formatted in; these templates recognise
# them so the values can be translated and put into the translated sentence. A new parameterised
# message is added here (and to the catalogues) as it is added to a service.
MESSAGE_TEMPLATES: tuple[str, ...] = (
    # Refusals by role (api.identity.guards, api.identity.reach): the longer forms first, since the
    # first template that matches is used.
    N_("This needs the role {roles} at this organisation (cl. {clause})."),
    N_("This needs the role {roles} at this organisation."),
    N_("This needs the role {roles} (cl. {clause})."),
    N_("This needs the role {roles}."),
    N_("Your role ({roles}) may only read at this organisation; this request changes data."),
    N_("Your role ({roles}) may only read; this request changes data."),
    N_("A {kind} is placed under a {places}, not under a {territory_kind}."),
    N_("A {kind} does not run {levels} education (cl. 2)."),
    N_("Name the education levels this {kind} runs (cl. 2)."),
    N_("Only an active organisation can be suspended; this one is {status}."),
    N_("Only a suspended organisation can be resumed; this one is {status}."),
    N_("Provisioning is for new or failed organisations; this one is {status}."),
    N_("The organisation is not ready yet ({status})."),
    N_("Territory {slug} not found."),
    # Organisations' sign-in domains (api.identity.domains).
    N_(
        "The domain {domain} is a public mail service: anyone can have an address there, so no organisation can "
        "claim it for sign-in."
    ),
    N_("The domain {domain} is already verified for another organisation."),
    N_(
        "The DNS record was not found: publish a TXT record {name} with the value {value}, wait for it to "
        "appear (up to an hour), and check again."
    ),
    N_("The domain's DNS could not be asked ({reason}); try again later."),
    N_("Choose one of the domain's administrative mailboxes: {choices}."),
    # Associations (api.domain.bodies.associations): cl. 26.
    N_(
        "An association is formed in a school that has at least {minimum} teachers of one subject (cl. 26); "
        "teachers of {subject} in this school: {count}. They can join the inter-school association of {cabinet} "
        "(organisation {organisation_id}) instead."
    ),
    N_(
        "An association is formed in a school that has at least {minimum} teachers of one subject (cl. 26); "
        "teachers of {subject} in this school: {count}. They can join an inter-school association of the district "
        "(city) methodological cabinet instead."
    ),
    # Meetings and work plans (api.domain.meetings, api.domain.plans).
    N_(
        "No quorum: {present} of {members} members present, {required} needed. A decision is recorded only when "
        "the meeting has a quorum."
    ),
    N_("Decisions {numbers} refer to this agenda item; change or remove them first."),
    N_("Unknown body kind; one of: {kinds}."),
    N_("Not a member of staff of this organisation: {ids}."),
    N_(
        "The item's dates must fall within the school year {start}/{end} ({first} – {last}): the plan is made for "
        "a year (cl. 29)."
    ),
    N_(
        "The association already has a work plan for {start}/{end}: one plan per association and school year (cl. "
        "29); change it, or make a new version of it."
    ),
    N_("Name the responsible people of items {numbers}."),
    N_("Only a submitted work plan can be approved; this one is {status}."),
    N_("Only a submitted work plan goes back to draft; this one is {status}."),
    N_("A new version is made from the approved plan; this one is {status} and can be changed as it is."),
    # The academic calendar (api.domain.structure.services): a quarter's or a semester's dates.
    N_("Quarter {number} ends before it starts."),
    N_("Semester {number} ends before it starts."),
    N_("Quarter {number} must lie within {first} - {last}."),
    N_("Semester {number} must lie within {first} - {last}."),
    N_("Quarter {number} overlaps the one before it."),
    N_("Semester {number} overlaps the one before it."),
    N_("The calendar of {start}/{end} exists; edit its terms."),
    # Documents (api.domain.documents.text) and request checks (api.request_checks).
    N_("The text of version {number} cannot be compared: its XML is malformed."),
    N_("The text of version {number} cannot be compared: its XML declares a DTD or entities, which are refused."),
    N_("The text of version {number} cannot be compared: its text part is missing or too large."),
    N_("The upload is too large: at most {max_bytes} bytes are accepted."),
    # Onboarding imports (api.domain.onboarding).
    N_("The file has more than {max_rows} rows; split it into several files."),
    N_("The CSV file is malformed near line {line}."),
    N_("The column {column} appears twice in the header row."),
    N_("The header row lacks the columns: {columns}. Download the template to see the expected columns."),
    N_("This import has been started already; it is {status}."),
    # Litestar's and msgspec's validation messages.
    N_("Object missing required field `{field}`"),
    N_("Invalid enum value {value}"),
    N_("Expected `{type}` of length >= {min}"),
    N_("Expected `{type}` of length <= {max}"),
    N_("Expected `{type}` >= {min}"),
    N_("Expected `{type}` <= {max}"),
    N_("Expected `{expected}`, got `{got}`"),
)
# Messages of the framework itself that reach callers as they are.
FRAMEWORK_MESSAGES: tuple[str, ...] = (
    N_("Expected `str` of length >= 1"),
    N_("Invalid UUID"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Bad Request"),
)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _pattern(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append(f"(?P<{match.group(1)}>.+?)")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((t, _pattern(t)) for t in MESSAGE_TEMPLATES)


def _translate_value(value: str) -> str:
    """A code, or a list of codes, as labels in running text; any other value as it is."""
    items = [item.strip() for item in value.split(",")]
    if all(item in _ALL_LABELS for item in items):
        return ", ".join(label(item).lower() for item in items)
    return value


def translate_message(message: str, locale: str | None = None) -> str:
    """A message in `locale` (else the current language): a catalogue entry, or by a template."""
    catalogue = translations(locale or _current.get())
    translated = catalogue.gettext(message)
    if translated != message:
        return translated
    for template, pattern in _PATTERNS:
        match = pattern.match(message)
        if match:
            with use_locale(locale or _current.get()):
                values = {name: _translate_value(value) for name, value in match.groupdict().items()}
            try:
                return _sentence(catalogue.gettext(template).format(**values))
            except (KeyError, IndexError, ValueError):
                return message
    return message


def _sentence(text: str) -> str:
    """A capital first letter, also when the sentence opens with a value (in quotes)."""
    position = 1 if text.startswith("«") else 0
    return text[:position] + text[position : position + 1].upper() + text[position + 1 :]
