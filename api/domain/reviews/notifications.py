"""Who hears about a review event, and how: in the app always, by email per event or in a daily
digest as each person chooses; reminders before a stage's due date and a notice when it is overdue.

Notifications are written in the same transaction as the transition that caused them (an
outbox): nothing is announced that did not happen. Emails are sent afterwards by
`deliver(...)`, which a periodic job runs (`api.domain.reviews.jobs`); a failed send is marked
and never blocks the review.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from email.message import EmailMessage
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import date_of
from api.domain.accounts.models import RoleAssignment, User
from api.domain.documents.models import Document
from api.domain.reviews import aggregate as agg
from api.domain.reviews.models import Notification, NotificationPreference, ReviewRound, ReviewStage, ReviewStageMember
from api.domain.reviews.schemas import NotificationRead
from api.domain.reviews.structure import keepers_of
from api.domain.structure.models import Staff
from api.i18n import N_
from api.responses import response_of
from api.settings import Settings

DELIVERIES = ("event", "digest", "none")


async def _users_of_staff(session: AsyncSession, staff_ids: Iterable[UUID]) -> set[UUID]:
    ids = list(set(staff_ids))
    if not ids:
        return set()
    rows = await session.scalars(select(Staff.user_id).where(Staff.id.in_(ids), Staff.user_id.is_not(None)))
    return set(rows)


async def authors_of(session: AsyncSession, document: Document) -> set[UUID]:
    users = await _users_of_staff(session, document.author_staff_ids or [])
    if document.created_by is not None:
        users.add(document.created_by)
    return users


async def role_holders(session: AsyncSession, organisation_id: UUID, roles: Iterable[str]) -> set[UUID]:
    """Users holding one of `roles` at the organisation (control plane, read by id)."""
    rows = await session.scalars(
        select(RoleAssignment.user_id).where(
            RoleAssignment.organisation_id == organisation_id,
            RoleAssignment.unit_id.is_(None),
            RoleAssignment.role.in_(list(roles)),
        )
    )
    return set(rows)


async def stage_recipients(
    session: AsyncSession, organisation_id: UUID, stage: ReviewStage, pending_body_ids: set[UUID] | None = None
) -> set[UUID]:
    """Who is waited for at a stage: the keepers of its bodies still to decide, or the approvers."""
    if stage.kind == "approval":
        return await role_holders(session, organisation_id, stage.approver_roles)
    members = (await session.scalars(select(ReviewStageMember).where(ReviewStageMember.stage_id == stage.id))).all()
    staff: set[UUID] = set()
    for m in members:
        if pending_body_ids is not None and m.body_id not in pending_body_ids:
            continue
        staff |= await keepers_of(session, agg.Member(m.body_kind, m.body_id, m.name, collegial=m.collegial))
    return await _users_of_staff(session, staff)


def _add(
    session: AsyncSession,
    users: Iterable[UUID],
    event: str,
    document: Document,
    subject: str,
    body: str,
    *,
    round_id: UUID | None = None,
    stage_id: UUID | None = None,
) -> int:
    count = 0
    for user in sorted(set(users), key=str):
        session.add(
            Notification(
                recipient_user_id=user,
                event=event,
                document_id=document.id,
                round_id=round_id,
                stage_id=stage_id,
                subject=subject[:300],
                body=body,
                email_state="pending",
            )
        )
        count += 1
    return count


async def notify(
    session: AsyncSession,
    organisation_id: UUID,
    document: Document,
    events: list[agg.Event],
    stages: dict[UUID, ReviewStage],
) -> None:
    """Notifications for what a transition recorded (stage waiting, passed, returned, approved)."""
    authors: set[UUID] | None = None
    for event in events:
        if isinstance(event, agg.StageActivated):
            stage = stages[event.stage_id]
            due = f" It is due by {event.due_at:%Y-%m-%d}." if event.due_at else ""
            _add(
                session,
                await stage_recipients(session, organisation_id, stage),
                "stage_waiting",
                document,
                N_("A document waits for your decision") + f": {document.title}",
                f"{document.title} waits at stage {stage.position + 1}, {stage.label} (cl. {stage.clause}).{due}",
                round_id=event.round_id,
                stage_id=stage.id,
            )
            continue
        if authors is None:
            authors = await authors_of(session, document)
        if isinstance(event, agg.StagePassed):
            stage = stages[event.stage_id]
            _add(
                session,
                authors,
                "stage_passed",
                document,
                N_("A review stage was passed") + f": {document.title}",
                f"{document.title} passed stage {stage.position + 1}, {stage.label}.",
                round_id=event.round_id,
                stage_id=stage.id,
            )
        elif isinstance(event, agg.ReturnedToAuthors):
            stage = stages[event.stage_id]
            what = "a negative conclusion" if event.outcome is agg.Outcome.NEGATIVE else "a return for revision"
            _add(
                session,
                authors,
                "returned",
                document,
                N_("Your document was returned") + f": {document.title}",
                f"{document.title} received {what} at stage {stage.position + 1}, {stage.label}.\n\n"
                f"Remarks: {event.remarks}\n\nA new version goes through the whole route again, from its first "
                "stage: every body concludes on the version that is approved.",
                round_id=event.round_id,
                stage_id=stage.id,
            )
        elif isinstance(event, agg.Approved):
            _add(
                session,
                authors,
                "approved",
                document,
                N_("Your document was approved") + f": {document.title}",
                f"{document.title} was approved.",
                round_id=event.round_id,
            )


# --- reminders --------------------------------------------------------------------------------


async def remind(session: AsyncSession, organisation_id: UUID, now: datetime.datetime, days_before: int) -> int:
    """Reminds who is waited for of stages due within `days_before` days, and tells of overdue ones;
    each once per submission of the round."""
    rows = (
        await session.execute(
            select(ReviewStage, ReviewRound, Document)
            .join(ReviewRound, ReviewRound.id == ReviewStage.round_id)
            .join(Document, Document.id == ReviewRound.document_id)
            .where(
                ReviewStage.status == "active",
                ReviewRound.status == "in_review",
                ReviewStage.due_at.is_not(None),
                ReviewStage.due_at <= now + datetime.timedelta(days=days_before),
            )
            .with_for_update(of=ReviewStage)
        )
    ).all()
    sent = 0
    for stage, round_, document in rows:
        decided = await _decided_bodies(session, round_.id, stage.id, round_.submission)
        pending = (
            None
            if stage.kind == "approval"
            else {
                m
                for m in (
                    await session.scalars(
                        select(ReviewStageMember.body_id).where(ReviewStageMember.stage_id == stage.id)
                    )
                )
                if m not in decided
            }
        )
        if stage.due_at <= now:
            if stage.overdue_submission == round_.submission:
                continue
            stage.overdue_submission = round_.submission
            users = await stage_recipients(session, organisation_id, stage, pending)
            sent += _add(
                session,
                users,
                "overdue",
                document,
                N_("A review stage is overdue") + f": {document.title}",
                f"{document.title} was due at stage {stage.position + 1}, {stage.label}, on {stage.due_at:%Y-%m-%d}.",
                round_id=round_.id,
                stage_id=stage.id,
            )
        else:
            if stage.reminded_submission == round_.submission:
                continue
            stage.reminded_submission = round_.submission
            users = await stage_recipients(session, organisation_id, stage, pending)
            sent += _add(
                session,
                users,
                "reminder",
                document,
                N_("A review stage is due soon") + f": {document.title}",
                f"{document.title} is due at stage {stage.position + 1}, {stage.label}, by {stage.due_at:%Y-%m-%d}.",
                round_id=round_.id,
                stage_id=stage.id,
            )
    await session.flush()
    return sent


async def _decided_bodies(session: AsyncSession, round_id: UUID, stage_id: UUID, submission: int) -> set[UUID]:
    from api.domain.reviews.models import ReviewDecision

    rows = await session.scalars(
        select(ReviewDecision.body_id).where(
            ReviewDecision.round_id == round_id,
            ReviewDecision.stage_id == stage_id,
            ReviewDecision.submission == submission,
            ReviewDecision.body_id.is_not(None),
        )
    )
    return set(rows)


# --- preferences and delivery ------------------------------------------------------------------


async def in_app(session: AsyncSession, user_id: UUID, *, unread: bool, limit: int) -> list[NotificationRead]:
    """A person's notifications in the app, newest first."""
    stmt = select(Notification).where(Notification.recipient_user_id == user_id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    rows = await session.scalars(stmt.order_by(Notification.created_at.desc()).limit(limit))
    return [response_of(NotificationRead, r) for r in rows]


async def mark_read(session: AsyncSession, notification_id: UUID, user_id: UUID | None, now: datetime.datetime) -> bool:
    """Marks one of the person's unread notifications read; False when there was none to mark."""
    result = await session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.recipient_user_id == user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def preference(session: AsyncSession, user_id: UUID) -> str:
    found = await session.scalar(
        select(NotificationPreference.delivery).where(NotificationPreference.user_id == user_id)
    )
    return found or "event"


async def set_preference(session: AsyncSession, user_id: UUID, delivery: str) -> str:
    if delivery not in DELIVERIES:
        from api.errors import DomainError

        raise DomainError("Delivery is one of: event, digest, none.", field="delivery")
    row = await session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == user_id))
    if row is None:
        session.add(NotificationPreference(user_id=user_id, delivery=delivery))
    else:
        row.delivery = delivery
    await session.flush()
    return delivery


async def email_of(session: AsyncSession, user_id: UUID) -> str | None:
    staff_email = await session.scalar(
        select(Staff.email).where(Staff.user_id == user_id, Staff.archived_at.is_(None), Staff.email.is_not(None))
    )
    return staff_email or await session.scalar(select(User.email).where(User.id == user_id))


def _message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


async def deliver(session: AsyncSession, settings: Settings, now: datetime.datetime) -> dict[str, int]:
    """Sends pending emails: at once for per-event readers, in one digest a day for the others."""
    from api.identity.invitations import send_mail

    pending = (
        await session.scalars(
            select(Notification)
            .where(Notification.email_state == "pending")
            .order_by(Notification.created_at)
            .with_for_update(skip_locked=True)
        )
    ).all()
    by_user: dict[UUID, list[Notification]] = defaultdict(list)
    for row in pending:
        by_user[row.recipient_user_id].append(row)
    counts = {"sent": 0, "failed": 0, "skipped": 0, "digests": 0}
    today = date_of(now)  # Kazakhstan's day: one digest a day by its calendar
    for user_id, rows in by_user.items():
        pref_row = await session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == user_id))
        delivery = pref_row.delivery if pref_row else "event"
        address = await email_of(session, user_id)
        if delivery == "none" or address is None or not settings.smtp_host:
            await _mark(session, rows, "skipped", now)
            counts["skipped"] += len(rows)
            continue
        if delivery == "digest":
            if pref_row is not None and pref_row.last_digest_on == today:
                continue  # today's digest has gone; these wait for tomorrow's
            body = "\n\n".join(f"* {r.subject}\n{r.body}" for r in rows)
            error = await send_mail(
                settings, _message(settings, address, f"Metodist: {len(rows)} review notification(s)", body)
            )
            await _mark(session, rows, "failed" if error else "sent", now)
            if not error:
                assert pref_row is not None
                pref_row.last_digest_on = today
                counts["digests"] += 1
            counts["failed" if error else "sent"] += len(rows)
            continue
        for row in rows:
            error = await send_mail(settings, _message(settings, address, row.subject, row.body))
            await _mark(session, [row], "failed" if error else "sent", now)
            counts["failed" if error else "sent"] += 1
    await session.flush()
    return counts


async def _mark(session: AsyncSession, rows: list[Notification], state: str, now: datetime.datetime) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.id.in_([r.id for r in rows]))
        .values(email_state=state, emailed_at=now if state == "sent" else None)
        .execution_options(synchronize_session="fetch")
    )
