"""Staff of one organisation from a file: the columns, the check of each row, and the upsert.

People are matched by IIN (`staff.iin`, one live record per IIN): a re-import updates names,
e-mail, positions, subjects and unit, and never adds a second record. Subjects named in the file
are matched by code or by a name in any language, and created when the catalogue lacks them.
Units must exist (they are the organisation's structure, made on its Structure page). A person
whose e-mail belongs to an account is linked to it at once; the others when they sign in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import snapshot
from api.context import AuditRecorder, staff_of_user
from api.domain.accounts.models import User
from api.domain.onboarding.checks import email_of, identifier, iin_birth_date_valid, issue, name_of, split_list, text_of
from api.domain.onboarding.reading import Column
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind
from api.domain.structure.models import Staff, StaffSubject, Subject, Unit
from api.domain.structure.rules import Position
from api.domain.structure.services import ensure_subjects_seeded
from api.i18n import N_

COLUMNS: tuple[Column, ...] = (
    Column("iin", {"kk": "ЖСН", "ru": "ИИН", "en": "IIN"}, required=True),
    Column("last_name", {"kk": "Тегі", "ru": "Фамилия", "en": "Last name"}, aliases=("surname",)),
    Column("first_name", {"kk": "Аты", "ru": "Имя", "en": "First name"}, aliases=("given name",)),
    Column("middle_name", {"kk": "Әкесінің аты", "ru": "Отчество", "en": "Patronymic"}, aliases=("middle name",)),
    Column("full_name", {"kk": "Аты-жөні", "ru": "ФИО", "en": "Full name"}, aliases=("ф и о", "name")),
    Column("email", {"kk": "E-mail", "ru": "E-mail", "en": "E-mail"}, aliases=("email", "электронная почта", "почта")),
    Column("position", {"kk": "Лауазымы", "ru": "Должность", "en": "Position"}, aliases=("positions", "должности")),
    Column("subjects", {"kk": "Пәндер", "ru": "Предметы", "en": "Subjects"}, aliases=("subject", "предмет", "пән")),
    Column("unit", {"kk": "Бөлімше", "ru": "Подразделение", "en": "Unit"}, aliases=("мо", "кафедра", "department")),
)
NAME_COLUMNS = (("full_name", "last_name"),)

EXAMPLES: tuple[dict[str, str], ...] = (
    {
        "iin": "850101300124",
        "last_name": "Ахметова",
        "first_name": "Айгүл",
        "middle_name": "Серікқызы",
        "full_name": "",
        "email": "a.akhmetova@school1.edu.kz",
        "position": "teacher",
        "subjects": "Математика; Физика",
        "unit": "",
    },
)

_POSITION_WORDS = {
    "учитель": "teacher",
    "мұғалім": "teacher",
    "преподаватель": "lecturer",
    "оқытушы": "lecturer",
    "учитель начальных классов": "primary_teacher",
    "бастауыш сынып мұғалімі": "primary_teacher",
    "классный руководитель": "class_teacher",
    "сынып жетекшісі": "class_teacher",
    "директор": "head",
    "руководитель": "head",
    "директоры": "head",
    "басшы": "head",
    "заместитель директора по учебной работе": "deputy_head",
    "завуч": "deputy_head",
    "оқу ісінің меңгерушісі": "deputy_head",
    "методист": "methodist",
    "әдіскер": "methodist",
    "воспитатель": "preschool_educator",
    "тәрбиеші": "preschool_educator",
    "руководитель подразделения": "unit_head",
    "заведующий кафедрой": "unit_head",
}


def _words(value: str) -> str:
    return " ".join(value.replace("ё", "е").lower().split())


def subject_code(name: str) -> str:
    """A code for a subject the file names and the catalogue lacks: stable for the same name."""
    return "imported_" + hashlib.sha256(_words(name).encode()).hexdigest()[:12]


@dataclass
class Roster:
    """What the check needs from the organisation's schema and the control plane, read once."""

    units: dict[str, list[Unit]]
    subjects: dict[str, Subject]
    existing: dict[str, Staff]

    @classmethod
    async def load(cls, tenant: AsyncSession, iins: list[str]) -> Roster:
        units: dict[str, list[Unit]] = {}
        for unit in (await tenant.scalars(select(Unit).where(Unit.archived_at.is_(None)))).all():
            units.setdefault(_words(unit.name), []).append(unit)
        subjects: dict[str, Subject] = {}
        for subject in (await tenant.scalars(select(Subject).where(Subject.archived_at.is_(None)))).all():
            for name in (subject.code, subject.name_kk, subject.name_ru, subject.name_en):
                if name:
                    subjects.setdefault(_words(name), subject)
        existing = {
            s.iin: s
            for s in (await tenant.scalars(select(Staff).where(Staff.iin.in_(iins), Staff.archived_at.is_(None)))).all()
            if s.iin
        }
        return cls(units, subjects, existing)


def check_row(cells: dict[str, Any], roster: Roster) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    found: list[dict[str, Any]] = []
    iin, notes = identifier(cells.get("iin"), "iin", "IIN")
    found += notes
    if iin is not None and not iin_birth_date_valid(iin):
        found.append(
            issue(
                "iin", N_("The IIN {value} does not begin with a birth date (YYMMDD) and a century digit."), value=iin
            )
        )
        iin = None
    full, notes = name_of(cells.get("full_name"), "full_name", required=False)
    found += notes
    if not full:
        parts = []
        for column in ("last_name", "first_name", "middle_name"):
            part, notes = name_of(
                cells.get(column), column, required=column in ("last_name", "first_name"), max_length=100
            )
            found += notes
            if part:
                parts.append(part)
        full = " ".join(parts) if parts else None
    email, notes = email_of(cells.get("email"), "email")
    found += notes
    positions: list[str] = []
    for part in split_list(cells.get("position")):
        code = part if part in Position.__members__.values() else _POSITION_WORDS.get(_words(part))
        if code is None:
            try:
                code = Position(_words(part).replace(" ", "_")).value
            except ValueError:
                found.append(
                    issue(
                        "position",
                        N_("Unknown position {value}: one of {positions}."),
                        value=part,
                        positions=", ".join(p.value for p in Position),
                    )
                )
                continue
        if code not in positions:
            positions.append(code)
    subjects: list[str] = []
    new_subjects: list[list[str]] = []  # [code, name] of subjects to create
    for part in split_list(cells.get("subjects")):
        if len(part) > 200:
            found.append(issue("subjects", N_("The name is longer than {max} characters."), max=200))
            continue
        known = roster.subjects.get(_words(part))
        if known is not None:
            if known.code not in subjects:
                subjects.append(known.code)
        else:
            code = subject_code(part)
            if code not in subjects:
                subjects.append(code)
                new_subjects.append([code, part])
    if new_subjects:
        found.append(
            issue(
                "subjects",
                N_("New subjects will be added to the catalogue: {names}."),
                "warning",
                names=", ".join(name for _, name in new_subjects),
            )
        )
    unit_name = text_of(cells.get("unit"))
    unit_id = None
    if unit_name:
        units = roster.units.get(_words(unit_name), [])
        if len(units) == 1:
            unit_id = str(units[0].id)
        elif len(units) > 1:
            found.append(
                issue("unit", N_("Several units are named {value}; rename one of them first."), value=unit_name)
            )
        else:
            found.append(
                issue("unit", N_("Unknown unit {value}: create it on the Structure page first."), value=unit_name)
            )
    plan = "create"
    person = roster.existing.get(iin) if iin else None
    values = {
        "iin": iin,
        "full_name": full,
        "email": email,
        "positions": sorted(positions),
        "subjects": subjects,
        "new_subjects": new_subjects,
        "unit_id": unit_id,
    }
    if person is not None:
        plan = "update" if _differs(person, values, None) else "unchanged"
    values["plan"] = plan
    return values, found


def _differs(person: Staff, values: dict[str, Any], subject_codes: list[str] | None) -> bool:
    return (
        person.full_name != values["full_name"]
        or (values["email"] is not None and (person.email or "").lower() != values["email"])
        or (values["positions"] and sorted(person.positions) != values["positions"])
        or (values["unit_id"] is not None and str(person.unit_id) != values["unit_id"])
        or (subject_codes is not None and values["subjects"] and sorted(subject_codes) != sorted(values["subjects"]))
    )


async def upsert(
    tenant: AsyncSession, control: AsyncSession, org: Organisation, rows: list[dict[str, Any]], actor_id: UUID | None
) -> list[str]:
    """Applies rows (normalised values) in the tenant's transaction; returns each row's outcome."""
    await ensure_subjects_seeded(tenant, OrgKind(org.kind))
    iins = [r["iin"] for r in rows]
    roster = await Roster.load(tenant, iins)
    by_code = {s.code: s for s in roster.subjects.values()}
    # Subjects the file names and the catalogue lacks, created once (by their stable code).
    for values in rows:
        for code, name in values["new_subjects"]:
            if code in by_code:
                continue
            subject = Subject(code=code, name_kk=name, name_ru=name, name_en=None)
            tenant.add(subject)
            by_code[code] = subject
    await tenant.flush()
    emails = sorted({r["email"] for r in rows if r["email"]})
    accounts = (
        {
            email: user_id
            for email, user_id in (
                await control.execute(select(func.lower(User.email), User.id).where(func.lower(User.email).in_(emails)))
            ).all()
        }
        if emails
        else {}
    )
    linked = set(
        (
            await tenant.scalars(select(Staff.user_id).where(Staff.user_id.is_not(None), Staff.archived_at.is_(None)))
        ).all()
    )
    staff_ids = [p.id for p in roster.existing.values()]
    current: dict[UUID, list[str]] = {}
    if staff_ids:
        for staff_id, code in (
            await tenant.execute(
                select(StaffSubject.staff_id, Subject.code)
                .join(Subject, Subject.id == StaffSubject.subject_id)
                .where(StaffSubject.staff_id.in_(staff_ids))
            )
        ).all():
            current.setdefault(staff_id, []).append(code)
    outcomes: list[str] = []
    created: list[tuple[Staff, dict[str, Any]]] = []
    changed: list[tuple[Staff, dict[str, Any], list[str], list[str]]] = []  # person, before, old codes, new codes
    for values in rows:
        person = roster.existing.get(values["iin"])
        user_id = accounts.get(values["email"]) if values["email"] else None
        if person is None:
            person = Staff(
                full_name=values["full_name"],
                iin=values["iin"],
                email=values["email"],
                positions=values["positions"],
                unit_id=UUID(values["unit_id"]) if values["unit_id"] else None,
                supervised_subject_ids=[],
            )
            if user_id is not None and user_id not in linked:
                person.user_id = user_id
                linked.add(user_id)
            tenant.add(person)
            roster.existing[values["iin"]] = person
            created.append((person, values))
            outcomes.append("created")
            continue
        codes = current.get(person.id, [])
        if not _differs(person, values, codes) and not (user_id and person.user_id is None and user_id not in linked):
            outcomes.append("unchanged")
            continue
        before = {**snapshot(person), "subjects": sorted(codes)}
        person.full_name = values["full_name"]
        if values["email"] is not None:
            person.email = values["email"]
        if values["positions"]:
            person.positions = values["positions"]
        if values["unit_id"] is not None:
            person.unit_id = UUID(values["unit_id"])
        if person.user_id is None and user_id is not None and user_id not in linked:
            person.user_id = user_id
            linked.add(user_id)
        new_codes = values["subjects"] if values["subjects"] else codes
        current[person.id] = list(new_codes)
        changed.append((person, before, codes, list(new_codes)))
        outcomes.append("updated")
    # One round of writes for the batch: people, their subjects, then the audit entries in order.
    await tenant.flush()
    replaced = [p.id for p, _, old, new in changed if sorted(old) != sorted(new)]
    if replaced:
        await tenant.execute(delete(StaffSubject).where(StaffSubject.staff_id.in_(replaced)))
    tenant.add_all(
        StaffSubject(staff_id=p.id, subject_id=by_code[c].id)
        for p, codes in [
            *((p, v["subjects"]) for p, v in created),
            *((p, new) for p, _, old, new in changed if p.id in replaced),
        ]
        for c in codes
        if c in by_code
    )
    await tenant.flush()
    entries: list[tuple[str, str, Any, Any, Any]] = [
        ("staff.import", "staff", p.id, None, {**snapshot(p), "subjects": sorted(v["subjects"])}) for p, v in created
    ]
    entries += [
        ("staff.import", "staff", p.id, before, {**snapshot(p), "subjects": sorted(new)})
        for p, before, _, new in changed
    ]
    await AuditRecorder(tenant, actor_id).record_many(entries)
    return outcomes


async def link_accounts(tenant: AsyncSession, user_id: UUID, email: str) -> int:
    """Links the staff records bearing this e-mail to the account that signed in with it."""
    if await staff_of_user(tenant, user_id) is not None:
        return 0
    person = await tenant.scalar(
        select(Staff)
        .where(func.lower(Staff.email) == email.lower(), Staff.user_id.is_(None), Staff.archived_at.is_(None))
        .order_by(Staff.created_at)
        .limit(1)
    )
    if person is None:
        return 0
    person.user_id = user_id
    await tenant.flush()
    return 1
