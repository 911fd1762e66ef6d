"""Forms of collective work (cl. 15): scheduled, with participants, materials and an outcome."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from api.domain.events.models import MethodologicalEvent
from api.domain.events.rules import EventKind
from api.domain.events.schemas import EventCreate, EventUpdate, MaterialWrite, ParticipantWrite
from api.domain.events.services import EventFilter, EventService, to_read
from api.errors import Conflict, DomainError, Forbidden
from api.paging import Paging
from api.roles import Role
from tests.work.helpers import KZ, School, actor, context

NOW = datetime.datetime.now(KZ)


def test_the_forms_of_cl_15() -> None:
    assert {k.value for k in EventKind} == {
        "seminar",
        "lecture_series",
        "workshop",
        "conference",
        "advanced_experience_school",
        "instructive_meeting",
    }


def deputy(school: School) -> Any:
    return actor(school.org, Role.DEPUTY_HEAD)


def seminar(school: School, **overrides: Any) -> EventCreate:
    data = {
        "kind": EventKind.SEMINAR,
        "title": "Formative assessment in mathematics",
        "starts_at": NOW + datetime.timedelta(days=3),
        "ends_at": NOW + datetime.timedelta(days=3, hours=2),
        "organiser_body_kind": "association",
        "organiser_body_id": school.association_id,
        "participants": [
            ParticipantWrite(staff_id=school.teachers[1], role="speaker"),
            ParticipantWrite(external_name="A. Guest, NIS"),
        ],
        "materials": [
            MaterialWrite(title="Slides", url="https://example.org/slides.pdf"),
            MaterialWrite(title="Handout", file_ref="files/handout.docx"),
        ],
    } | overrides
    return EventCreate(**data)


async def test_deputy_head_schedules_a_seminar(db: Any, school: School) -> None:
    async with db.tenant_context(school.schema) as session:
        event = await EventService(context(session, school.org, deputy(school))).create(seminar(school))
        read = to_read(event)
    assert read.kind == EventKind.SEMINAR
    assert [(p.staff_id, p.external_name) for p in read.participants] == [
        (school.teachers[1], None),
        (None, "A. Guest, NIS"),
    ]
    assert [m.title for m in read.materials] == ["Slides", "Handout"]
    async with db.tenant_session(school.schema) as session:
        mine = await EventService(context(session, school.org, deputy(school))).list(
            EventFilter(staff_id=school.teachers[1]), Paging(1, 200)
        )
    assert event.id in {e.id for e in mine.items}


async def test_leader_of_the_organising_body_keeps_it_and_a_teacher_does_not(db: Any, school: School) -> None:
    leader = actor(school.org, Role.ASSOCIATION_LEADER, staff_id=school.leader)
    async with db.tenant_context(school.schema) as session:
        await EventService(context(session, school.org, leader)).create(seminar(school, kind=EventKind.WORKSHOP))
    async with db.tenant_session(school.schema) as session:
        with pytest.raises(Forbidden):
            await EventService(context(session, school.org, leader)).create(
                seminar(school, organiser_body_kind=None, organiser_body_id=None)
            )
        with pytest.raises(Forbidden):
            await EventService(
                context(session, school.org, actor(school.org, Role.TEACHER, staff_id=school.teachers[3]))
            ).create(seminar(school))


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"ends_at": NOW}, "ends_at"),
        ({"participants": [ParticipantWrite()]}, "participants[0]"),
        ({"participants": [ParticipantWrite(staff_id=uuid.UUID(int=5), external_name="Both")]}, "participants[0]"),
        ({"participants": [ParticipantWrite(staff_id=uuid.UUID(int=5))]}, "participants"),
        ({"materials": [MaterialWrite(title="Nothing")]}, "materials[0].url"),
        ({"materials": [MaterialWrite(title="Script", url="javascript:alert(1)")]}, "materials[0].url"),
        ({"organiser_body_id": None}, "organiser_body_id"),
        ({"organiser_body_kind": "choir"}, "organiser_body_kind"),
        ({"title": "   "}, "title"),
    ],
)
async def test_bad_events_are_refused_and_nothing_written(
    db: Any, school: School, override: dict[str, Any], field: str
) -> None:
    async with db.tenant_session(school.schema) as session:
        before = await session.scalar(select(func.count()).select_from(MethodologicalEvent))
    with pytest.raises(DomainError) as refused:
        async with db.tenant_context(school.schema) as session:
            await EventService(context(session, school.org, deputy(school))).create(seminar(school, **override))
    assert refused.value.field == field
    async with db.tenant_session(school.schema) as session:
        assert await session.scalar(select(func.count()).select_from(MethodologicalEvent)) == before


async def test_outcome_only_after_it_took_place(db: Any, school: School) -> None:
    async with db.tenant_context(school.schema) as session:
        service = EventService(context(session, school.org, deputy(school)))
        upcoming = await service.create(seminar(school))
        past = await service.create(
            seminar(
                school,
                kind=EventKind.CONFERENCE,
                starts_at=NOW - datetime.timedelta(days=2),
                ends_at=NOW - datetime.timedelta(days=1),
            )
        )
    async with db.tenant_session(school.schema) as session:
        with pytest.raises(DomainError) as refused:
            await EventService(context(session, school.org, deputy(school))).update(
                upcoming.id, EventUpdate(outcome="Went well")
            )
    assert refused.value.field == "outcome"
    async with db.tenant_context(school.schema) as session:
        service = EventService(context(session, school.org, deputy(school)))
        done = await service.update(
            past.id, EventUpdate(outcome=" 24 teachers; two open lessons shown. ", materials=[])
        )
        assert done.outcome == "24 teachers; two open lessons shown." and done.materials == []
        await service.archive(past.id)
        with pytest.raises(Conflict):
            await service.update(past.id, EventUpdate(title="Again"))
