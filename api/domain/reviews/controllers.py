"""HTTP → review services: routes, submissions, decisions, timelines, the inbox, agendas,
notifications and the catalogue. Controllers only translate; the rules are in the aggregate."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.access import Scope, access, principal
from api.domain.documents.controllers import attachment
from api.domain.documents.models import Document, DocumentVersion
from api.domain.documents.roles import ADMIN, CATALOGUE_READERS, STAFF
from api.domain.documents.rules import DocumentKind, FileFormat
from api.domain.documents.services import DocumentService, utcnow
from api.domain.meetings.services import MeetingService
from api.domain.reviews import agenda, queries
from api.domain.reviews import notifications as notes
from api.domain.reviews.catalogue import catalogue_page
from api.domain.reviews.rules import RouteDescription
from api.domain.reviews.schemas import (
    AgendaBuild,
    AgendaBuilt,
    AgendaEntry,
    CataloguePage,
    DecisionRead,
    DecisionRequest,
    InboxItem,
    NotificationPreferenceRead,
    NotificationPreferenceUpdate,
    NotificationRead,
    RoutePlan,
    RouteRead,
    RouteUpdate,
    StageRead,
    SubmitRequest,
    Timeline,
)
from api.domain.reviews.services import ReviewService
from api.errors import DomainError, NotFound
from api.paging import PageNo
from api.tenancy import Tenant

Org = "/api/organisations/{organisation_id:uuid}"


def planned_stages(planned: list[tuple[Any, tuple[Any, ...]]]) -> list[StageRead]:
    return [
        StageRead(
            id=s.id,
            position=s.position,
            kind=s.kind,
            selector=s.selector,
            clause=s.clause,
            label=s.label,
            status="planned",
            approver_roles=list(s.approver_roles),
            due_days=s.due_days,
            activated_at=None,
            due_at=None,
            overdue=False,
            decisions=[],
            members=[queries.MemberRead(m.body_kind, m.body_id, m.name, m.collegial) for m in members],
        )
        for s, members in planned
    ]


def route_read(d: RouteDescription) -> RouteRead:
    return RouteRead(d.kind, d.clause, d.customised, d.approvers_allowed, d.stages)


class ReviewController(Controller):
    path = Org
    tags = ["reviews"]

    # --- routes ---------------------------------------------------------------------------------

    @get("/review-routes", name="reviews:routes", operation_id="ListReviewRoutes", opt=access(Scope.TENANT, STAFF))
    async def routes(self, reviews: NamedDependency[ReviewService]) -> list[RouteRead]:
        """The organisation's route for every document kind, each stage with its clause."""
        return [route_read(await reviews.route(kind)) for kind in DocumentKind]

    @get(
        "/review-routes/{kind:str}",
        name="reviews:route",
        operation_id="GetReviewRoute",
        opt=access(Scope.TENANT, STAFF),
    )
    async def route(self, reviews: NamedDependency[ReviewService], kind: FromPath[DocumentKind]) -> RouteRead:
        return route_read(await reviews.route(kind))

    @put(
        "/review-routes/{kind:str}",
        name="reviews:route-set",
        operation_id="SetReviewRoute",
        opt=access(Scope.TENANT, ADMIN),
    )
    async def set_route(
        self, reviews: NamedDependency[ReviewService], kind: FromPath[DocumentKind], data: JSONBody[RouteUpdate]
    ) -> RouteRead:
        """Adds, removes or reorders stages and chooses the approver, within the clause."""
        return route_read(await reviews.set_route(kind, data.stages))

    @delete(
        "/review-routes/{kind:str}",
        name="reviews:route-reset",
        operation_id="ResetReviewRoute",
        status_code=200,
        opt=access(Scope.TENANT, ADMIN),
    )
    async def reset_route(self, reviews: NamedDependency[ReviewService], kind: FromPath[DocumentKind]) -> RouteRead:
        return route_read(await reviews.reset_route(kind))

    @get(
        "/documents/{document_id:uuid}/route",
        name="reviews:document-route",
        operation_id="PlanDocumentRoute",
        opt=access(Scope.TENANT, STAFF),
    )
    async def document_route(
        self,
        documents: NamedDependency[DocumentService],
        reviews: NamedDependency[ReviewService],
        document_id: FromPath[UUID],
    ) -> list[StageRead]:
        """The route this document would take if submitted now: the stages the organisation has.
        The stages it would go without are at `…/route-plan`."""
        document = await documents.get(document_id)
        return planned_stages(await reviews.plan(document))

    @get(
        "/documents/{document_id:uuid}/route-plan",
        name="reviews:document-route-plan",
        operation_id="PlanDocumentRouteWithGaps",
        opt=access(Scope.TENANT, STAFF),
    )
    async def document_route_plan(
        self,
        documents: NamedDependency[DocumentService],
        reviews: NamedDependency[ReviewService],
        document_id: FromPath[UUID],
    ) -> RoutePlan:
        """The route this document would take if submitted now, and the stages of its clause's route
        it would go without because the organisation lacks the body (a school without councils,
        cl. 20): seen by the author and the approver before submitting, recorded when submitted."""
        document = await documents.get(document_id)
        stages, missing = await reviews.route_plan(document)
        return RoutePlan(document.id, planned_stages(stages), [queries.missing_read(m) for m in missing])

    # --- submitting and deciding ------------------------------------------------------------------

    @post(
        "/documents/{document_id:uuid}/submissions",
        name="reviews:submit",
        operation_id="SubmitVersion",
        opt=access(Scope.TENANT, STAFF),
    )
    async def submit(
        self,
        documents: NamedDependency[DocumentService],
        reviews: NamedDependency[ReviewService],
        document_id: FromPath[UUID],
        data: JSONBody[SubmitRequest],
    ) -> Timeline:
        """Submits a version (it is locked from now on): a first round, or the round that returned it."""
        document = await documents.get(document_id, for_update=True)
        documents.require_author(document, "submit it")
        version = await documents.version(document_id, data.version_id, for_update=True)
        await reviews.submit(document, version)
        return await queries.timeline(documents.session, document)

    @post(
        "/documents/{document_id:uuid}/decisions",
        name="reviews:decide",
        operation_id="DecideStage",
        opt=access(Scope.TENANT, STAFF, person_only=True),
    )
    async def decide(
        self,
        documents: NamedDependency[DocumentService],
        reviews: NamedDependency[ReviewService],
        document_id: FromPath[UUID],
        data: JSONBody[DecisionRequest],
        idempotency_key: Annotated[str | None, Parameter(header="Idempotency-Key", required=False)] = None,
    ) -> Response[DecisionRead]:
        """A conclusion (positive, negative, return for revision) or an approval at the current
        stage. Send an `Idempotency-Key`: a repeated request with the same key and body gets the
        same answer (200) and records nothing more; the same key with another body is refused."""
        if not idempotency_key:
            raise DomainError(
                "Send an Idempotency-Key header with every decision.", field="Idempotency-Key", status=400
            )
        document = await documents.get(document_id)
        row, replayed = await reviews.decide(document, data, idempotency_key)
        number = await queries.version_number(documents.session, row.version_id)
        body = queries.decision_read(row, {row.version_id: number} if number else None)
        return Response(
            body, status_code=200 if replayed else 201, headers={"Idempotent-Replayed": str(replayed).lower()}
        )

    @get(
        "/documents/{document_id:uuid}/timeline",
        name="reviews:timeline",
        operation_id="DocumentTimeline",
        opt=access(Scope.TENANT, STAFF),
    )
    async def timeline(self, documents: NamedDependency[DocumentService], document_id: FromPath[UUID]) -> Timeline:
        """Every round, stage and decision: who decided what, when, at which meeting."""
        return await queries.timeline(documents.session, await documents.get(document_id))

    # --- work surfaces ----------------------------------------------------------------------------

    @get("/reviews/inbox", name="reviews:inbox", operation_id="ReviewInbox", opt=access(Scope.TENANT, STAFF))
    async def inbox(self, documents: NamedDependency[DocumentService]) -> list[InboxItem]:
        """What waits for my bodies and my roles, oldest first, with due dates."""
        return await queries.inbox(documents.session, documents.who)

    @get("/reviews/agenda", name="reviews:agenda", operation_id="PendingBeforeBody", opt=access(Scope.TENANT, STAFF))
    async def agenda(
        self, documents: NamedDependency[DocumentService], body_kind: FromQuery[str], body_id: FromQuery[UUID]
    ) -> list[AgendaEntry]:
        """Documents waiting for this body's conclusion: the agenda of its next meeting."""
        return await agenda.pending_before(documents.session, body_kind, body_id)

    @post("/reviews/agenda", name="reviews:agenda-build", operation_id="BuildAgenda", opt=access(Scope.TENANT, STAFF))
    async def build_agenda(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        documents: NamedDependency[DocumentService],
        data: JSONBody[AgendaBuild],
    ) -> AgendaBuilt:
        """Puts every document pending before the meeting's body on its agenda (once each); the
        meetings domain decides who may change that meeting's agenda."""
        from api.domain.meetings.context import WorkContext
        from api.domain.meetings.models import Meeting
        from api.domain.meetings.schemas import AgendaItemCreate
        from api.domain.structure.actors import Actor

        grants = [g for g in principal(request).grants if g.organisation_id == tenant.organisation_id]
        meetings = MeetingService(
            WorkContext(documents.session, Actor.of(documents.who.user_id, grants, documents.who.staff_id))
        )

        meeting = await documents.session.get(Meeting, data.meeting_id)
        if meeting is None:
            raise NotFound("Meeting not found.", field="meeting_id")
        present = await agenda.agenda_documents(documents.session, meeting.id)
        added, skipped = [], []
        for entry in await agenda.pending_before(documents.session, meeting.body_kind, meeting.body_id):
            if entry.document_id in present:
                skipped.append(entry.document_id)
                continue
            item = await meetings.add_agenda_item(
                meeting.id,
                AgendaItemCreate(
                    title=f"{entry.document_title} (v{entry.version_number}, cl. {entry.clause})"[:500],
                    notes=entry.stage_label,
                    document_id=entry.document_id,
                ),
            )
            added.append(item.id)
        return AgendaBuilt(meeting.id, added, skipped)

    # --- notifications ----------------------------------------------------------------------------

    @get(
        "/notifications",
        name="reviews:notifications",
        operation_id="ListNotifications",
        opt=access(Scope.TENANT, STAFF),
    )
    async def notifications(
        self,
        documents: NamedDependency[DocumentService],
        unread: FromQuery[bool] = False,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> list[NotificationRead]:
        who = documents.who
        if who.user_id is None:
            return []
        return await notes.in_app(documents.session, who.user_id, unread=unread, limit=limit)

    @post(
        "/notifications/{notification_id:uuid}/read",
        name="reviews:notification-read",
        status_code=200,
        operation_id="MarkNotificationRead",
        opt=access(Scope.TENANT, STAFF),
    )
    async def mark_read(
        self, documents: NamedDependency[DocumentService], notification_id: FromPath[UUID]
    ) -> dict[str, bool]:
        return {"marked": await notes.mark_read(documents.session, notification_id, documents.who.user_id, utcnow())}

    @get(
        "/notifications/preference",
        name="reviews:notification-preference",
        operation_id="GetNotificationPreference",
        opt=access(Scope.TENANT, STAFF),
    )
    async def get_preference(self, documents: NamedDependency[DocumentService]) -> NotificationPreferenceRead:
        if documents.who.user_id is None:
            return NotificationPreferenceRead("none")
        return NotificationPreferenceRead(await notes.preference(documents.session, documents.who.user_id))

    @put(
        "/notifications/preference",
        name="reviews:notification-preference-set",
        operation_id="SetNotificationPreference",
        opt=access(Scope.TENANT, STAFF),
    )
    async def set_preference(
        self, documents: NamedDependency[DocumentService], data: JSONBody[NotificationPreferenceUpdate]
    ) -> NotificationPreferenceRead:
        """Email per event, one daily digest, or none (in-app notifications always stay)."""
        if documents.who.user_id is None:
            raise DomainError("Only a signed-in person has notification preferences.")
        return NotificationPreferenceRead(
            await notes.set_preference(documents.session, documents.who.user_id, data.delivery)
        )

    # --- the catalogue (cl. 13.4) ---------------------------------------------------------------

    @get(
        "/catalogue",
        name="reviews:catalogue",
        operation_id="ProductCatalogue",
        opt=access(Scope.TENANT, CATALOGUE_READERS),
    )
    async def catalogue(
        self,
        tenant: NamedDependency[Tenant],
        documents: NamedDependency[DocumentService],
        q: Annotated[str | None, Parameter(max_length=200)] = None,
        page: PageNo = 1,
        page_size: Annotated[int, Parameter(ge=1, le=200)] = 20,
    ) -> CataloguePage:
        """Approved methodological products of the organisation, readable by the district, region
        and republic above it."""
        return await catalogue_page(documents.session, tenant.organisation_id, page=page, page_size=page_size, search=q)

    @get(
        "/catalogue/{document_id:uuid}/file",
        name="reviews:catalogue-file",
        operation_id="CatalogueFile",
        opt=access(Scope.TENANT, CATALOGUE_READERS),
    )
    async def catalogue_file(
        self, documents: NamedDependency[DocumentService], document_id: FromPath[UUID]
    ) -> Response[bytes]:
        document = await documents.session.get(Document, document_id)
        if (
            document is None
            or document.kind != DocumentKind.METHODOLOGICAL_PRODUCT.value
            or document.approved_version_id is None
        ):
            raise NotFound("No approved methodological product with this id.", field="document_id")
        version = await documents.session.get(DocumentVersion, document.approved_version_id)
        assert version is not None
        content = await documents.store.get(version.sha256)
        return attachment(version.filename, content, FileFormat(version.format).media_type)
