"""What the bodies' routes share: the roles they admit and the answers they build."""

from __future__ import annotations

from typing import Any

from api.domain.bodies.registry import BodyInfo
from api.domain.bodies.rules import BodyKind
from api.domain.bodies.schemas import (
    AssociationRead,
    BodyRead,
    CommissionRead,
    CouncilRead,
)
from api.domain.bodies.services import (
    BodiesService,
    leader_read,
)
from api.responses import response_of
from api.roles import Role

# Association leaders and council chairs and secretaries keep their own bodies' membership; the
# service checks that the caller keeps *this* body.
KEEP = (Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD, Role.ASSOCIATION_LEADER, Role.COUNCIL_CHAIR, Role.COUNCIL_SECRETARY)
# A district cabinet's own staff, or the district department's methodists, keep inter-school associations.
CABINET = (Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD, Role.DISTRICT_METHODIST)


async def to_association(bodies: BodiesService, row: Any, count: int | None = None) -> AssociationRead:
    if count is None:
        count = (await bodies.member_counts(BodyKind.ASSOCIATION, [row.id]))[row.id]
    leader = await bodies.leader_now(BodyKind.ASSOCIATION, row.id)
    return response_of(AssociationRead, row, member_count=count, leader=leader_read(leader) if leader else None)


async def to_council(bodies: BodiesService, row: Any) -> CouncilRead:
    kind = BodyKind.PEDAGOGICAL_COUNCIL if row.kind == "pedagogical" else BodyKind.COUNCIL
    count = (await bodies.member_counts(kind, [row.id]))[row.id]
    return response_of(CouncilRead, row, body_kind=kind, member_count=count)


async def to_commission(bodies: BodiesService, row: Any) -> CommissionRead:
    kind = BodyKind.DEPARTMENT if row.kind == "department" else BodyKind.COMMISSION
    count = (await bodies.member_counts(kind, [row.id]))[row.id]
    return response_of(CommissionRead, row, body_kind=kind, member_count=count)


def to_body(info: BodyInfo) -> BodyRead:
    # The chair, the secretary and the members are read from their own attributes as `BodyMemberRead`.
    return response_of(BodyRead, info)
