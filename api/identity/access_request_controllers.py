"""HTTP of access requests. Thin: api.identity.access_requests decides."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from api.access import Scope, access
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
        access_requests: NamedDependency[AccessRequestService],
        data: JSONBody[AccessRequestCreate],
    ) -> AccessRequestRead:
        """Asks the administrators of an organisation (by id or BIN) or of a territory for access."""
        return (await access_requests.to_read([await access_requests.create(data)]))[0]

    @get("/places", name="access-requests:places", operation_id="AccessRequestPlaces", opt=ASKING)
    async def places(self, territories: NamedDependency[TerritoryService]) -> list[TerritoryNode]:
        """The territories one may ask for access at (a district, a town, a region): the public
        administrative hierarchy, for a person who holds no role and so cannot read /api/territories."""
        return await territories.tree()

    @get("/mine", name="access-requests:mine", operation_id="ListMyAccessRequests", opt=ASKING)
    async def mine(
        self,
        access_requests: NamedDependency[AccessRequestService],
    ) -> list[AccessRequestRead]:
        return await access_requests.to_read(await access_requests.mine())

    @post(
        "/{request_id:uuid}/withdraw",
        name="access-requests:withdraw",
        operation_id="WithdrawAccessRequest",
        opt=ASKING,
        status_code=200,
    )
    async def withdraw(
        self,
        access_requests: NamedDependency[AccessRequestService],
        request_id: FromPath[UUID],
    ) -> AccessRequestRead:
        return (await access_requests.to_read([await access_requests.withdraw(request_id)]))[0]

    @get("/", name="access-requests:list", operation_id="ListAccessRequests", opt=ANSWERING)
    async def list_requests(
        self,
        access_requests: NamedDependency[AccessRequestService],
        status: Annotated[
            Literal["pending", "approved", "declined", "withdrawn"], Parameter(query="status")
        ] = "pending",
    ) -> list[AccessRequestRead]:
        """The requests at the places the caller administers, oldest first."""
        return await access_requests.to_read(await access_requests.for_admins(status))

    @post(
        "/{request_id:uuid}/answer",
        name="access-requests:answer",
        operation_id="AnswerAccessRequest",
        opt=ANSWERING,
        status_code=200,
    )
    async def answer(
        self,
        access_requests: NamedDependency[AccessRequestService],
        request_id: FromPath[UUID],
        data: JSONBody[AccessRequestAnswer],
    ) -> AccessRequestRead:
        """Approves with a role (granted under the usual rules) or declines, with a note for the person."""
        return (await access_requests.to_read([await access_requests.answer(request_id, data)]))[0]
