"""What an organisation may be: kinds, the education levels of cl. 2, placement, the BIN."""

from __future__ import annotations

import enum

from api.domain.territories.models import TerritoryKind


class OrgKind(enum.StrEnum):
    SCHOOL = "school"
    COLLEGE = "college"
    UNIVERSITY = "university"
    CABINET_REPUBLIC = "cabinet_republic"
    CABINET_REGION = "cabinet_region"
    CABINET_CITY = "cabinet_city"
    CABINET_DISTRICT = "cabinet_district"

    @property
    def is_cabinet(self) -> bool:
        return self.value.startswith("cabinet_")


class EducationLevel(enum.StrEnum):
    """Cl. 2: the programmes an organisation implements."""

    PRIMARY = "primary"
    BASIC_SECONDARY = "basic_secondary"
    GENERAL_SECONDARY = "general_secondary"
    TECHNICAL_VOCATIONAL = "technical_vocational"
    POST_SECONDARY = "post_secondary"
    HIGHER = "higher"
    POSTGRADUATE = "postgraduate"


class OrgStatus(enum.StrEnum):
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"
    FAILED = "failed"


_SCHOOL_LEVELS = {EducationLevel.PRIMARY, EducationLevel.BASIC_SECONDARY, EducationLevel.GENERAL_SECONDARY}

# Which levels each kind may run; cabinets run none, they guide those who do (cl. 10).
ALLOWED_LEVELS: dict[OrgKind, frozenset[EducationLevel]] = {
    OrgKind.SCHOOL: frozenset(_SCHOOL_LEVELS),
    OrgKind.COLLEGE: frozenset(
        {EducationLevel.TECHNICAL_VOCATIONAL, EducationLevel.POST_SECONDARY, EducationLevel.GENERAL_SECONDARY}
    ),
    OrgKind.UNIVERSITY: frozenset({EducationLevel.HIGHER, EducationLevel.POSTGRADUATE, EducationLevel.POST_SECONDARY}),
    OrgKind.CABINET_REPUBLIC: frozenset(),
    OrgKind.CABINET_REGION: frozenset(),
    OrgKind.CABINET_CITY: frozenset(),
    OrgKind.CABINET_DISTRICT: frozenset(),
}

# Where in the hierarchy each kind is placed. A school belongs to a district or a town (the
# district department runs it); a cabinet sits at the level it serves.
ALLOWED_TERRITORIES: dict[OrgKind, frozenset[TerritoryKind]] = {
    OrgKind.SCHOOL: frozenset({TerritoryKind.DISTRICT, TerritoryKind.TOWN}),
    OrgKind.COLLEGE: frozenset({TerritoryKind.REGION, TerritoryKind.CITY, TerritoryKind.DISTRICT, TerritoryKind.TOWN}),
    OrgKind.UNIVERSITY: frozenset(
        {TerritoryKind.REGION, TerritoryKind.CITY, TerritoryKind.DISTRICT, TerritoryKind.TOWN}
    ),
    OrgKind.CABINET_REPUBLIC: frozenset({TerritoryKind.REPUBLIC}),
    OrgKind.CABINET_REGION: frozenset({TerritoryKind.REGION}),
    OrgKind.CABINET_CITY: frozenset({TerritoryKind.CITY, TerritoryKind.TOWN}),
    OrgKind.CABINET_DISTRICT: frozenset({TerritoryKind.DISTRICT}),
}

_WEIGHTS_1 = tuple(range(1, 12))
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def bin_check_digit(first_eleven: str) -> int | None:
    """The 12th digit of a BIN/IIN, or None when no valid check digit exists."""
    digits = [int(c) for c in first_eleven]
    check = sum(w * d for w, d in zip(_WEIGHTS_1, digits, strict=True)) % 11
    if check == 10:
        check = sum(w * d for w, d in zip(_WEIGHTS_2, digits, strict=True)) % 11
        if check == 10:
            return None
    return check


def is_valid_bin(value: str) -> bool:
    if len(value) != 12 or not value.isdigit():
        return False
    return bin_check_digit(value[:11]) == int(value[11])


def make_bin(first_eleven: str) -> str | None:
    """Completes eleven digits into a valid BIN (for demo data and tests)."""
    check = bin_check_digit(first_eleven)
    return None if check is None else f"{first_eleven}{check}"
