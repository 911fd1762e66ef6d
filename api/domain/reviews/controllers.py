"""HTTP → review services: routes, submissions, decisions, timelines, the inbox, agendas,
notifications and the catalogue. Controllers only translate; the rules are in the aggregate."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.access import Scope, access
from api.clock import utc_now
from api.context import TenantContext
from api.domain.documents.controllers import attachment
from api.domain.documents.roles import ADMIN, CATALOGUE_READERS, STAFF
from api.domain.documents.rules import DocumentKind, FileFormat
from api.domain.documents.services import DocumentService
from api.domain.meetings.schemas import AgendaItemCreate
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
from api.errors import DomainError
from api.paging import Paging, paging_by
from api.responses import response_of

Org = "/api/organisations/{organisation_id:uuid}"


def planned_stages(planned: list[tuple[Any, tuple[Any, ...]]]) -> list[StageRead]:
    return [
        # A stage of the plan is not stored: it has not started, so it has no dates and no decisions.
        response_of(
            StageRead,
            s,
            status="planned",
            activated_at=None,
            due_at=None,
            overdue=False,
            decisions=[],
            members=[response_of(queries.MemberRead, m) for m in members],
        )
        for s, members in planned
    ]


def route_read(d: RouteDescription) -> RouteRead:
    return response_of(RouteRead, d, document_kind=d.kind)


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
        context: NamedDependency[TenantContext],
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
        return await queries.timeline(context.session, document)

    @post(
        "/documents/{document_id:uuid}/decisions",
        name="reviews:decide",
        operation_id="DecideStage",
        opt=access(Scope.TENANT, STAFF, person_only=True),
    )
    async def decide(
        self,
        context: NamedDependency[TenantContext],
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
        body = await queries.decision_of(context.session, row)
        return Response(
            body, status_code=200 if replayed else 201, headers={"Idempotent-Replayed": str(replayed).lower()}
        )

    @get(
        "/documents/{document_id:uuid}/timeline",
        name="reviews:timeline",
        operation_id="DocumentTimeline",
        opt=access(Scope.TENANT, STAFF),
    )
    async def timeline(
        self,
        context: NamedDependency[TenantContext],
        documents: NamedDependency[DocumentService],
        document_id: FromPath[UUID],
    ) -> Timeline:
        """Every round, stage and decision: who decided what, when, at which meeting."""
        return await queries.timeline(context.session, await documents.get(document_id))

    # --- work surfaces ----------------------------------------------------------------------------

    @get("/reviews/inbox", name="reviews:inbox", operation_id="ReviewInbox", opt=access(Scope.TENANT, STAFF))
    async def inbox(self, context: NamedDependency[TenantContext]) -> list[InboxItem]:
        """What waits for my bodies and my roles, oldest first, with due dates."""
        return await queries.inbox(context.session, context.caller)

    @get("/reviews/agenda", name="reviews:agenda", operation_id="PendingBeforeBody", opt=access(Scope.TENANT, STAFF))
    async def agenda(
        self, context: NamedDependency[TenantContext], body_kind: FromQuery[str], body_id: FromQuery[UUID]
    ) -> list[AgendaEntry]:
        """Documents waiting for this body's conclusion: the agenda of its next meeting."""
        return await agenda.pending_before(context.session, body_kind, body_id)

    @post("/reviews/agenda", name="reviews:agenda-build", operation_id="BuildAgenda", opt=access(Scope.TENANT, STAFF))
    async def build_agenda(
        self,
        context: NamedDependency[TenantContext],
        meetings: NamedDependency[MeetingService],
        data: JSONBody[AgendaBuild],
    ) -> AgendaBuilt:
        """Puts every document pending before the meeting's body on its agenda (once each); the
        meetings domain decides who may change that meeting's agenda."""
        meeting, to_add, skipped = await agenda.agenda_to_build(context.session, data.meeting_id)
        added = []
        for entry in to_add:
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
        context: NamedDependency[TenantContext],
        unread: FromQuery[bool] = False,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> list[NotificationRead]:
        user_id = context.caller.user_id
        if user_id is None:
            return []
        return await notes.in_app(context.session, user_id, unread=unread, limit=limit)

    @post(
        "/notifications/{notification_id:uuid}/read",
        name="reviews:notification-read",
        status_code=200,
        operation_id="MarkNotificationRead",
        opt=access(Scope.TENANT, STAFF),
    )
    async def mark_read(
        self, context: NamedDependency[TenantContext], notification_id: FromPath[UUID]
    ) -> dict[str, bool]:
        marked = await notes.mark_read(context.session, notification_id, context.caller.user_id, utc_now())
        return {"marked": marked}

    @get(
        "/notifications/preference",
        name="reviews:notification-preference",
        operation_id="GetNotificationPreference",
        opt=access(Scope.TENANT, STAFF),
    )
    async def get_preference(self, context: NamedDependency[TenantContext]) -> NotificationPreferenceRead:
        user_id = context.caller.user_id
        if user_id is None:
            return NotificationPreferenceRead("none")
        return NotificationPreferenceRead(await notes.preference(context.session, user_id))

    @put(
        "/notifications/preference",
        name="reviews:notification-preference-set",
        operation_id="SetNotificationPreference",
        opt=access(Scope.TENANT, STAFF),
    )
    async def set_preference(
        self, context: NamedDependency[TenantContext], data: JSONBody[NotificationPreferenceUpdate]
    ) -> NotificationPreferenceRead:
        """Email per event, one daily digest, or none (in-app notifications always stay)."""
        user_id = context.caller.user_id
        if user_id is None:
            raise DomainError("Only a signed-in person has notification preferences.")
        return NotificationPreferenceRead(await notes.set_preference(context.session, user_id, data.delivery))

    # --- the catalogue (cl. 13.4) ---------------------------------------------------------------

    @get(
        "/catalogue",
        name="reviews:catalogue",
        operation_id="ProductCatalogue",
        opt=access(Scope.TENANT, CATALOGUE_READERS),
        dependencies={"paging": paging_by(20)},
    )
    async def catalogue(
        self,
        context: NamedDependency[TenantContext],
        paging: NamedDependency[Paging],
        q: Annotated[str | None, Parameter(max_length=200)] = None,
    ) -> CataloguePage:
        """Approved methodological products of the organisation, readable by the district, region
        and republic above it."""
        return await catalogue_page(context.session, context.organisation_id, paging, search=q)

    @get(
        "/catalogue/{document_id:uuid}/file",
        name="reviews:catalogue-file",
        operation_id="CatalogueFile",
        opt=access(Scope.TENANT, CATALOGUE_READERS),
    )
    async def catalogue_file(
        self, documents: NamedDependency[DocumentService], document_id: FromPath[UUID]
    ) -> Response[bytes]:
        version, content = await documents.catalogue_file(document_id)
        return attachment(version.filename, content, FileFormat(version.format).media_type)
