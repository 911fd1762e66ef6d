"""Organisations from a file: the columns, the check of each row, and registering them.

The check is done in memory against the registry read once (territories, the organisations whose
BINs the file names) and the caller's reach, so ten thousand rows are checked in seconds. The same
rules as registering one organisation by hand (api.domain.organisations): the BIN's check digit,
placement in the hierarchy, the education levels of cl. 2 for the kind, names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Principal
from api.domain.onboarding.checks import email_of, identifier, issue, name_of, split_list, text_of
from api.domain.onboarding.reading import Column
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import ALLOWED_LEVELS, ALLOWED_TERRITORIES, EducationLevel, OrgKind
from api.domain.territories.models import Territory, TerritoryKind
from api.i18n import KIND_LABELS, LEVEL_LABELS, LOCALES, N_, translations
from api.identity.reach import Reach, reach_of
from api.roles import Role

ADMIN_ROLES = (Role.NATIONAL_ADMIN, Role.REGIONAL_ADMIN)

COLUMNS: tuple[Column, ...] = (
    Column("bin", {"kk": "БСН", "ru": "БИН", "en": "BIN"}, required=True),
    Column("kind", {"kk": "Түрі", "ru": "Тип", "en": "Kind"}, required=True, aliases=("вид", "type")),
    Column(
        "territory",
        {"kk": "Аумақ", "ru": "Территория", "en": "Territory"},
        required=True,
        aliases=("район", "аудан", "district", "place"),
    ),
    Column(
        "name_kk",
        {"kk": "Атауы (қаз)", "ru": "Название (каз)", "en": "Name (kk)"},
        required=True,
        aliases=("атауы қазақша", "название на казахском", "name kazakh"),
    ),
    Column(
        "name_ru",
        {"kk": "Атауы (орыс)", "ru": "Название (рус)", "en": "Name (ru)"},
        required=True,
        aliases=("атауы орысша", "название на русском", "name russian"),
    ),
    Column(
        "name_en",
        {"kk": "Атауы (ағылш)", "ru": "Название (англ)", "en": "Name (en)"},
        aliases=("атауы ағылшынша", "название на английском", "name english"),
    ),
    Column(
        "levels",
        {"kk": "Білім беру деңгейлері", "ru": "Уровни образования", "en": "Education levels"},
        aliases=("деңгейлер", "уровни", "levels"),
    ),
    Column(
        "admin_email",
        {"kk": "Әкімшінің e-mail", "ru": "E-mail администратора", "en": "Administrator e-mail"},
        aliases=("email", "e-mail", "admin email", "әкімші email", "email администратора"),
    ),
)

# Examples for the template (a school in a district, a college in a region).
EXAMPLES: tuple[dict[str, str], ...] = (
    {
        "bin": "000140000007",
        "kind": "school",
        "territory": "karaganda-bukhar-zhyrau",
        "name_kk": "№1 жалпы орта білім беретін мектеп",
        "name_ru": "Общеобразовательная школа №1",
        "name_en": "Secondary School No. 1",
        "levels": "primary, basic_secondary, general_secondary",
        "admin_email": "admin@school1.edu.kz",
    },
)


_KATO = re.compile(r"([0-9]{9})(?:\.0+)?")


def _words(value: str) -> str:
    return " ".join(value.replace("ё", "е").lower().split())


def _labels(codes: dict[str, str]) -> dict[str, str]:
    """Codes and their labels in every language, lower-cased, to the code."""
    out: dict[str, str] = {}
    for code, label in codes.items():
        out[_words(code)] = code
        out[_words(code.replace("_", " "))] = code
        for locale in LOCALES:
            out[_words(translations(locale).gettext(label))] = code
    return out


_KIND_WORDS = {
    "школа": "school",
    "мектеп": "school",
    "колледж": "college",
    "университет": "university",
    "вуз": "university",
    "жоо": "university",
}


@dataclass
class Registry:
    """What the check needs from the control plane, read once per file."""

    by_slug: dict[str, Territory]
    by_name: dict[str, list[Territory]]
    existing: dict[str, Organisation]
    reach: Reach | None  # None: the command line, which reaches everything
    by_code: dict[str, Territory] = field(default_factory=dict)  # the official (KATO) codes known
    kinds: dict[str, str] = field(default_factory=lambda: {**_labels(dict(KIND_LABELS)), **_KIND_WORDS})
    levels: dict[str, str] = field(default_factory=lambda: _labels(dict(LEVEL_LABELS)))

    @classmethod
    async def load(cls, session: AsyncSession, bins: Iterable[str], principal: Principal | None) -> Registry:
        """`principal` None: the command line, which reaches everything."""
        territories = list((await session.scalars(select(Territory))).all())
        # The caller's reach over a tree that knows every territory just read (one added since the
        # cached tree was loaded would otherwise look outside every region).
        reach = None if principal is None else await reach_of(session, principal, must_know=[t.id for t in territories])
        by_name: dict[str, list[Territory]] = {}
        for t in territories:
            for name in {t.name_kk, t.name_ru, t.name_en}:
                by_name.setdefault(_words(name), []).append(t)
        wanted = sorted(set(bins))
        existing: dict[str, Organisation] = {}
        for start in range(0, len(wanted), 5000):
            rows = await session.scalars(select(Organisation).where(Organisation.bin.in_(wanted[start : start + 5000])))
            existing.update({o.bin: o for o in rows})
        by_code = {t.code: t for t in territories if t.code}
        return cls({t.slug: t for t in territories}, by_name, existing, reach, by_code)

    def territory(self, value: str) -> tuple[Territory | None, dict[str, Any] | None]:
        text = _words(value)
        if not text:
            return None, issue("territory", N_("The territory is missing."))
        found = self.by_slug.get(text)
        if found is not None:
            return found, None
        code = _KATO.fullmatch(text)
        if code is not None:
            # A number column in a spreadsheet may have written the code as 351400000.0.
            found = self.by_code.get(code.group(1))
            if found is not None:
                return found, None
            return None, issue(
                "territory",
                N_(
                    "No territory has the official code {value}: give its slug or name, or ask the operator to "
                    "load the codes (metodist territories load)."
                ),
                value=code.group(1),
            )
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0], None
        if len(named) > 1:
            return None, issue(
                "territory",
                N_("Several territories are named {value}: give the slug instead ({slugs})."),
                value=value,
                slugs=", ".join(sorted(t.slug for t in named)),
            )
        return None, issue(
            "territory",
            N_("Unknown territory {value}: give its slug, its official (KATO) code or its name in Kazakh or Russian."),
            value=value,
        )


def check_row(
    cells: dict[str, Any], registry: Registry, *, key: tuple[str | None, list[dict[str, Any]]] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The row's normalised values and what is wrong with it (nothing is written). `key`: the
    BIN already read from the row, with its findings."""
    found: list[dict[str, Any]] = []
    bin_, notes = key if key is not None else identifier(cells.get("bin"), "bin", "BIN")
    found += list(notes)
    kind_text = _words(text_of(cells.get("kind")))
    kind_code = registry.kinds.get(kind_text)
    if not kind_text:
        found.append(issue("kind", N_("The kind is missing.")))
    elif kind_code is None:
        found.append(
            issue(
                "kind",
                N_("Unknown kind {value}: one of {kinds}."),
                value=text_of(cells.get("kind")),
                kinds=", ".join(k.value for k in OrgKind),
            )
        )
    kind = OrgKind(kind_code) if kind_code else None
    territory, problem = registry.territory(text_of(cells.get("territory")))
    if problem:
        found.append(problem)
    names = {}
    for column, required in (("name_kk", True), ("name_ru", True), ("name_en", False)):
        names[column], notes = name_of(cells.get(column), column, required=required)
        found += notes
    levels: list[str] = []
    for part in split_list(cells.get("levels")):
        code = registry.levels.get(_words(part))
        if code is None:
            found.append(
                issue(
                    "levels",
                    N_("Unknown education level {value}: one of {levels}."),
                    value=part,
                    levels=", ".join(level.value for level in EducationLevel),
                )
            )
        elif code in levels:
            found.append(issue("levels", N_("Each education level may be named once.")))
        else:
            levels.append(code)
    email, notes = email_of(cells.get("admin_email"), "admin_email")
    found += notes

    if kind is not None and territory is not None:
        allowed = ALLOWED_TERRITORIES[kind]
        if TerritoryKind(territory.kind) not in allowed:
            found.append(
                issue(
                    "territory",
                    N_("A {kind} is placed under a {places}, not under a {territory_kind}."),
                    kind=kind.value,
                    places=", ".join(sorted(k.value for k in allowed)),
                    territory_kind=territory.kind,
                )
            )
    if kind is not None:
        allowed_levels = ALLOWED_LEVELS[kind]
        wrong = [lv for lv in levels if EducationLevel(lv) not in allowed_levels]
        if wrong:
            found.append(
                issue(
                    "levels",
                    N_("A {kind} does not run {levels} education (cl. 2)."),
                    kind=kind.value,
                    levels=", ".join(wrong),
                )
            )
        elif allowed_levels and not levels and not any(f["column"] == "levels" for f in found):
            found.append(issue("levels", N_("Name the education levels this {kind} runs (cl. 2)."), kind=kind.value))
    if (
        territory is not None
        and registry.reach is not None
        and not registry.reach.covers_territory(territory.id, ADMIN_ROLES)
    ):
        found.append(
            issue(
                "territory",
                N_("{value} is outside your region: you may import organisations of your own region only."),
                value=territory.slug,
            )
        )

    plan = None
    existing = registry.existing.get(bin_) if bin_ else None
    if existing is not None:
        if kind is not None and existing.kind != kind.value:
            found.append(
                issue(
                    "kind",
                    N_(
                        "The organisation with this BIN is registered as a {registered}, not a {kind}; the kind "
                        "never changes."
                    ),
                    registered=existing.kind,
                    kind=kind.value,
                )
            )
        if registry.reach is not None and not registry.reach.covers_territory(existing.territory_id, ADMIN_ROLES):
            found.append(issue("bin", N_("An organisation with this BIN is registered outside your region.")))
        if existing.status == "archived":
            found.append(issue("bin", N_("The organisation with this BIN is archived; it is not imported again.")))
        plan = "update"
    values = {
        "bin": bin_,
        "kind": kind.value if kind else None,
        "territory_id": str(territory.id) if territory else None,
        "territory": territory.slug if territory else None,
        **names,
        "levels": levels,
        "admin_email": email,
        "plan": plan or "create",
    }
    if existing is not None and not any(f["level"] == "error" for f in found):
        if _differs(existing, values):
            values["plan"] = "update"
        else:
            values["plan"] = "unchanged"
    return values, found


def _differs(org: Organisation, values: dict[str, Any]) -> bool:
    return (
        org.name_kk != values["name_kk"]
        or org.name_ru != values["name_ru"]
        or (values["name_en"] is not None and org.name_en != values["name_en"])
        or str(org.territory_id) != values["territory_id"]
        or sorted(org.levels) != sorted(values["levels"])
    )


def apply(org: Organisation, values: dict[str, Any]) -> bool:
    """Brings a registered organisation to the row's values; True when something changed.
    An English name left empty in the file keeps the registered one (nothing is lost)."""
    if not _differs(org, values):
        return False
    org.name_kk = values["name_kk"]
    org.name_ru = values["name_ru"]
    if values["name_en"] is not None:
        org.name_en = values["name_en"]
    org.territory_id = UUID(values["territory_id"])
    org.levels = list(values["levels"])
    return True
