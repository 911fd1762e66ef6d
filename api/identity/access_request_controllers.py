"""HTTP of access requests. Thin: api.identity.access_requests decides."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Scope, access, principal
from api.domain.territories.schemas import TerritoryNode
from api.domain.territories.services import TerritoryService
from api.i18n import N_
from api.identity.access_request_schemas import AccessRequestAnswer, AccessRequestCreate, AccessRequestRead
from api.identity.access_requests import AccessRequestService
from api.identity.authz import IDENTITY_ADMINS
from api.roles import SELF

TOKENS_REFUSED = N_("Access requests are made and answered by people; API tokens cannot use them.")
# Asking: any signed-in person, one holding no role yet above all.
ASKING = access(Scope.SHARED, SELF, person_only=TOKENS_REFUSED)
# Answering: administrators; the service keeps each to the places their reach covers.
ANSWERING = access(Scope.SHARED, IDENTITY_ADMINS, person_only=TOKENS_REFUSED)


class AccessRequestController(Controller):
    path = "/api/access-requests"
    tags = ["access requests"]

    @post("/", name="access-requests:create", operation_id="RequestAccess", opt=ASKING, status_code=201)
    async def create(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        data: JSONBody[AccessRequestCreate],
    ) -> AccessRequestRead:
        """Asks the administrators of an organisation (by id or BIN) or of a territory for access."""
        service = AccessRequestService(session, principal(request))
        return (await service.to_read([await service.create(data)]))[0]

    @get("/places", name="access-requests:places", operation_id="AccessRequestPlaces", opt=ASKING)
    async def places(self, territories: NamedDependency[TerritoryService]) -> list[TerritoryNode]:
        """The territories one may ask for access at (a district, a town, a region): the public
        administrative hierarchy, for a person who holds no role and so cannot read /api/territories."""
        return await territories.tree()

    @get("/mine", name="access-requests:mine", operation_id="ListMyAccessRequests", opt=ASKING)
    async def mine(
        self, request: Request[Any, Any, Any], session: NamedDependency[AsyncSession]
    ) -> list[AccessRequestRead]:
        service = AccessRequestService(session, principal(request))
        return await service.to_read(await service.mine())

    @post(
        "/{request_id:uuid}/withdraw",
        name="access-requests:withdraw",
        operation_id="WithdrawAccessRequest",
        opt=ASKING,
        status_code=200,
    )
    async def withdraw(
        self, request: Request[Any, Any, Any], session: NamedDependency[AsyncSession], request_id: FromPath[UUID]
    ) -> AccessRequestRead:
        service = AccessRequestService(session, principal(request))
        return (await service.to_read([await service.withdraw(request_id)]))[0]

    @get("/", name="access-requests:list", operation_id="ListAccessRequests", opt=ANSWERING)
    async def list_requests(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        status: Annotated[
            Literal["pending", "approved", "declined", "withdrawn"], Parameter(query="status")
        ] = "pending",
    ) -> list[AccessRequestRead]:
        """The requests at the places the caller administers, oldest first."""
        service = AccessRequestService(session, principal(request))
        return await service.to_read(await service.for_admins(status))

    @post(
        "/{request_id:uuid}/answer",
        name="access-requests:answer",
        operation_id="AnswerAccessRequest",
        opt=ANSWERING,
        status_code=200,
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        request_id: FromPath[UUID],
        data: JSONBody[AccessRequestAnswer],
    ) -> AccessRequestRead:
        """Approves with a role (granted under the usual rules) or declines, with a note for the person."""
        service = AccessRequestService(session, principal(request))
        return (await service.to_read([await service.answer(request_id, data)]))[0]
