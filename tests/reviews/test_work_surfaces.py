"""The reviewer's inbox, the author's view, agendas built from pending documents, notifications
(in-app, email per event or daily digest, reminders and overdue notices through a real SMTP server)."""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import replace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select, update

from api.domain.meetings.models import AgendaItem
from api.domain.reviews import notifications as notes
from api.domain.reviews.models import Notification, ReviewStage
from tests.reviews import world as w
from tests.reviews.api_support import Api

pytestmark = pytest.mark.asyncio


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp() -> Any:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def _submitted(
    api: Api, kind: str = "working_programme", title: str = "Programme for the inbox"
) -> tuple[dict, dict]:
    doc = await api.create("author", kind=kind, title=title)
    version = (await api.upload("author", doc["id"], w.docx("a"), "p.docx")).json()
    assert (await api.submit("author", doc["id"], version["id"])).status_code == 201
    return doc, version


async def test_inbox_agenda_and_author_view(app: Any, db: Any, uni: w.World) -> None:
    api = Api(app, db, uni)
    doc, version = await _submitted(api)
    # Cl. 20 in this university: the faculty council first.
    inbox = (await api.call("fac_secretary", "GET", "/reviews/inbox")).json()
    mine = [i for i in inbox if i["document_id"] == doc["id"]]
    assert len(mine) == 1 and mine[0]["bodies"][0]["name"] == "Faculty Council" and mine[0]["due_at"]
    assert mine[0]["clause"] == "20" and not mine[0]["overdue"]
    assert [i["waiting_since"] for i in inbox] == sorted(i["waiting_since"] for i in inbox)
    assert not [
        i for i in (await api.call("org_chair", "GET", "/reviews/inbox")).json() if i["document_id"] == doc["id"]
    ]
    assert not [i for i in (await api.call("deputy", "GET", "/reviews/inbox")).json() if i["document_id"] == doc["id"]]

    # The faculty council's agenda is built from what waits for it.
    kind, council = uni.bodies["faculty_council"]
    pending = (
        await api.call("fac_secretary", "GET", "/reviews/agenda", params={"body_kind": kind, "body_id": str(council)})
    ).json()
    assert doc["id"] in [p["document_id"] for p in pending]
    meeting, _ = uni.meetings["faculty_council"]
    built = await api.call("fac_secretary", "POST", "/reviews/agenda", json={"meeting_id": str(meeting)})
    assert built.status_code == 201, built.text
    again = (await api.call("fac_secretary", "POST", "/reviews/agenda", json={"meeting_id": str(meeting)})).json()
    assert doc["id"] in again["already_on_agenda"] and not again["added"]
    async with db.tenant_session(uni.schema) as session:
        item = await session.scalar(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting, AgendaItem.document_id == doc["id"])
        )
    assert item is not None
    # … and decided at that very agenda item.
    stage = mine[0]
    r = await api.decide(
        "fac_secretary",
        doc["id"],
        stage_id=stage["stage_id"],
        version_id=version["id"],
        outcome="return",
        remarks="Add assessment criteria.",
        meeting_id=str(meeting),
        agenda_item_id=str(item.id),
    )
    assert r.status_code == 201, r.text

    # The author sees where it is and why it came back.
    listing = (await api.call("author", "GET", "/documents", params={"mine": True})).json()
    entry = next(d for d in listing["items"] if d["id"] == doc["id"])
    assert entry["status"] == "returned" and entry["current_stage"].startswith("Council of the unit")
    notices = (await api.call("author", "GET", "/notifications")).json()
    returned = [n for n in notices if n["document_id"] == doc["id"] and n["event"] == "returned"]
    assert returned and "Add assessment criteria." in returned[0]["body"]
    marked = await api.call("author", "POST", f"/notifications/{returned[0]['id']}/read")
    assert marked.json() == {"marked": True}
    assert not [
        n
        for n in (await api.call("author", "GET", "/notifications", params={"unread": True})).json()
        if n["id"] == returned[0]["id"]
    ]
    # Nobody else reads the author's notifications.
    other = await api.call("outsider", "POST", f"/notifications/{returned[0]['id']}/read")
    assert other.json() == {"marked": False}
    # The reviewer was told when it started waiting.
    waiting = (await api.call("fac_secretary", "GET", "/notifications")).json()
    assert any(n["event"] == "stage_waiting" and n["document_id"] == doc["id"] for n in waiting)


async def test_email_per_event_digest_reminders_and_overdue(
    app: Any, db: Any, uni: w.World, settings: Any, smtp: Any
) -> None:
    handler, port = smtp
    api = Api(app, db, uni)
    mailing = replace(settings, smtp_host="127.0.0.1", smtp_port=port)
    # Flush what earlier tests left pending, so this test counts only its own mail.
    async with db.tenant_context(uni.schema) as session:
        await notes.deliver(session, replace(settings, smtp_host=None), datetime.datetime.now(datetime.UTC))
    assert (
        await api.call("inst_chair", "PUT", "/notifications/preference", json={"delivery": "digest"})
    ).status_code == 200
    assert (
        await api.call("inst_chair", "PUT", "/notifications/preference", json={"delivery": "weekly"})
    ).status_code == 400
    doc, version = await _submitted(api, "guidelines", "Guidelines for mail")
    # Per event: the commission's keepers get one mail each now.
    async with db.tenant_context(uni.schema) as session:
        counts = await notes.deliver(session, mailing, datetime.datetime.now(datetime.UTC))
    await asyncio.sleep(0.2)
    recipients = {m["To"] for m in handler.messages}
    assert {uni["cc_chair"].email, uni["cc_secretary"].email} <= recipients and counts["sent"] >= 2
    assert all("Guidelines for mail" in m["Subject"] for m in handler.messages)

    # The stage nears its due date: a reminder, once; then it is overdue: a notice, once; the inbox says so.
    now = datetime.datetime.now(datetime.UTC)
    async with db.tenant_context(uni.schema) as session:
        stage_id = (await api.timeline("author", doc["id"]))["rounds"][0]["stages"][0]["id"]
        await session.execute(
            update(ReviewStage).where(ReviewStage.id == stage_id).values(due_at=now + datetime.timedelta(days=1))
        )
    async with db.tenant_context(uni.schema) as session:
        assert await notes.remind(session, uni.org_id, now, 2) == 2
        assert await notes.remind(session, uni.org_id, now, 2) == 0
    async with db.tenant_context(uni.schema) as session:
        await session.execute(
            update(ReviewStage).where(ReviewStage.id == stage_id).values(due_at=now - datetime.timedelta(hours=1))
        )
    async with db.tenant_context(uni.schema) as session:
        assert await notes.remind(session, uni.org_id, now, 2) == 2
        assert await notes.remind(session, uni.org_id, now, 2) == 0
    inbox = (await api.call("cc_chair", "GET", "/reviews/inbox")).json()
    assert next(i for i in inbox if i["document_id"] == doc["id"])["overdue"]

    # Digest: the institute council's chair (digest reader) gets one mail for several events, once a day.
    async with db.tenant_context(uni.schema) as session:
        for n in range(3):
            session.add(
                Notification(
                    recipient_user_id=uni["inst_chair"].user_id,
                    event="stage_waiting",
                    document_id=doc["id"],
                    subject=f"Digest item {n}",
                    body="…",
                    email_state="pending",
                )
            )
    handler.messages.clear()
    async with db.tenant_context(uni.schema) as session:
        counts = await notes.deliver(session, mailing, now)
    await asyncio.sleep(0.2)
    digests = [m for m in handler.messages if m["To"] == uni["inst_chair"].email]
    assert len(digests) == 1 and counts["digests"] == 1
    assert all(f"Digest item {n}" in digests[0].get_payload() for n in range(3))
    async with db.tenant_context(uni.schema) as session:
        session.add(
            Notification(
                recipient_user_id=uni["inst_chair"].user_id,
                event="reminder",
                document_id=doc["id"],
                subject="Tomorrow's item",
                body="…",
                email_state="pending",
            )
        )
    async with db.tenant_context(uni.schema) as session:
        await notes.deliver(session, mailing, now)
    await asyncio.sleep(0.2)
    assert len([m for m in handler.messages if m["To"] == uni["inst_chair"].email]) == 1  # waits for tomorrow
    async with db.tenant_context(uni.schema) as session:
        await notes.deliver(session, mailing, now + datetime.timedelta(days=1))
    await asyncio.sleep(0.2)
    assert len([m for m in handler.messages if m["To"] == uni["inst_chair"].email]) == 2


async def test_the_periodic_job_reminds_and_delivers_for_every_organisation(
    db: Any, uni: w.World, sch: w.World, settings: Any, smtp: Any
) -> None:
    from api.domain.reviews.jobs import run_review_notifications

    handler, port = smtp
    async with db.tenant_context(sch.schema) as session:
        session.add(
            Notification(
                recipient_user_id=sch["deputy"].user_id,
                event="stage_waiting",
                subject="Job mail",
                body="…",
                email_state="pending",
            )
        )
    totals = await run_review_notifications(db, replace(settings, smtp_host="127.0.0.1", smtp_port=port))
    await asyncio.sleep(0.2)
    assert totals["organisations"] >= 2 and totals["sent"] >= 1
    assert any(m["To"] == sch["deputy"].email and m["Subject"] == "Job mail" for m in handler.messages)
