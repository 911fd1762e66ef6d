"""The words the set-up pages show for the API's codes: positions, qualification categories, terms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api import i18n
from api.i18n import N_
from api.i18n import gettext as _
from web.structure.common import UNIT_KINDS

POSITIONS: Mapping[str, str] = {
    "teacher": N_("Teacher"),
    "primary_teacher": N_("Teacher of grades 1-4"),
    "class_teacher": N_("Class teacher"),
    "preschool_educator": N_("Pre-school educator"),
    "boarding_educator": N_("Boarding-school educator"),
    "head": N_("Head of the organisation"),
    "deputy_head": N_("Deputy head for academic work"),
    "unit_head": N_("Head of a unit"),
    "methodist": N_("Methodist"),
    "lecturer": N_("Lecturer"),
}
QUALIFICATIONS: Mapping[str, str] = {
    "none": N_("No category"),
    "pedagogue": N_("Pedagogue"),
    "moderator": N_("Pedagogue-moderator"),
    "expert": N_("Pedagogue-expert"),
    "researcher": N_("Pedagogue-researcher"),
    "master": N_("Pedagogue-master"),
    "second": N_("Second category"),
    "first": N_("First category"),
    "highest": N_("Highest category"),
}
TERM_KINDS: Mapping[str, str] = {"quarter": N_("Quarter"), "semester": N_("Semester")}


def labels() -> dict[str, Any]:
    return {
        "positions": {k: _(v) for k, v in POSITIONS.items()},
        "qualifications": {k: _(v) for k, v in QUALIFICATIONS.items()},
        "unit_kinds": {k: _(v) for k, v in UNIT_KINDS.items()},
        "term_kinds": {k: _(v) for k, v in TERM_KINDS.items()},
    }


def subject_name(subject: Mapping[str, Any]) -> str:
    """A subject's name in the reader's language (Russian, Kazakh, English when it has none)."""
    locale = i18n.current_locale()
    for code in (locale, "ru", "kk", "en"):
        if subject.get(f"name_{code}"):
            return str(subject[f"name_{code}"])
    return str(subject.get("code") or "")
