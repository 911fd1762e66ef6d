from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.access import Scope, access
from api.i18n import N_
from api.identity.assignment_schemas import OrganisationPerson, RoleAssignmentRead, RoleGrant
from api.identity.assignments import RoleAssignmentService, to_read
from api.paging import Page, Paging, paging_by
from api.roles import ANY_SIGNED_IN, Role

# Who may grant: administrators within their reach, and district methodists for the leaders of
# inter-school associations in their district (cl. 30); the service decides each case.
GRANTORS = (Role.NATIONAL_ADMIN, Role.REGIONAL_ADMIN, Role.ORGANISATION_ADMIN, Role.DISTRICT_METHODIST)
# A machine client invites (the role binds when the person signs in); it does not hand out roles.
GRANTING = access(
    Scope.SHARED,
    GRANTORS,
    person_only=N_("API tokens cannot grant or revoke roles; invite the person instead (POST …/invitations)."),
)


class RoleAssignmentController(Controller):
    tags = ["roles"]

    @post(
        "/api/role-assignments",
        name="roles:grant",
        operation_id="GrantRole",
        status_code=201,
        opt=GRANTING,
    )
    async def grant(
        self, role_assignments: NamedDependency[RoleAssignmentService], data: JSONBody[RoleGrant]
    ) -> RoleAssignmentRead:
        """Grants a role at a node: a territory, an organisation, or a unit of an organisation."""
        return to_read(await role_assignments.grant(data))

    @delete(
        "/api/role-assignments/{assignment_id:uuid}",
        name="roles:revoke",
        operation_id="RevokeRole",
        status_code=204,
        opt=GRANTING,
    )
    async def revoke(
        self, role_assignments: NamedDependency[RoleAssignmentService], assignment_id: FromPath[UUID]
    ) -> None:
        await role_assignments.revoke(assignment_id)

    @get(
        "/api/users/{user_id:uuid}/roles",
        name="roles:of-user",
        operation_id="ListUserRoles",
        opt=access(Scope.SHARED, ANY_SIGNED_IN),
    )
    async def of_user(
        self, role_assignments: NamedDependency[RoleAssignmentService], user_id: FromPath[UUID]
    ) -> list[RoleAssignmentRead]:
        """The user's roles at the nodes within the caller's reach (all of them for oneself)."""
        return [to_read(a) for a in await role_assignments.of_user(user_id)]

    @get(
        "/api/organisations/{organisation_id:uuid}/role-assignments",
        name="roles:at-organisation",
        operation_id="ListOrganisationRoles",
        opt=access(Scope.SHARED, ANY_SIGNED_IN),
    )
    async def at_organisation(
        self, role_assignments: NamedDependency[RoleAssignmentService], organisation_id: FromPath[UUID]
    ) -> list[RoleAssignmentRead]:
        """Who holds which role at the organisation and its units."""
        return [to_read(a) for a in await role_assignments.at_organisation(organisation_id)]

    @get(
        "/api/organisations/{organisation_id:uuid}/people",
        name="roles:people",
        operation_id="ListOrganisationPeople",
        opt=access(Scope.TENANT, Role.ORGANISATION_ADMIN),
        dependencies={"paging": paging_by(20)},
    )
    async def people(
        self,
        role_assignments: NamedDependency[RoleAssignmentService],
        organisation_id: FromPath[UUID],
        paging: NamedDependency[Paging],
        q: FromQuery[
            Annotated[str | None, Parameter(max_length=200, description="Search in names and e-mails")]
        ] = None,
        email: FromQuery[Annotated[str | None, Parameter(max_length=320, description="One address, exactly")]] = None,
    ) -> Page[OrganisationPerson]:
        """The organisation's people (everyone holding a role at it or its units) with those roles,
        for its administrators: e-mail addresses are not for every colleague's eyes."""
        return await role_assignments.people_at_organisation(organisation_id, paging, q=q, email=email)
