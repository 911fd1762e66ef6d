"""What identifies a member of a body across its membership rows.

A local body's members are staff of this organisation; an inter-school association's, teachers of
the district's schools (one may leave and join again under a new member row, still the same
teacher of the same school); a sector union's, its member rows (a member may have no staff record
anywhere).
"""

from __future__ import annotations

from uuid import UUID

from api.domain.bodies.registry import BodyInfo, BodyKind, BodyMember

MemberKey = tuple[UUID | None, ...]


def is_remote(kind: BodyKind | str) -> bool:
    """Members of other organisations: they are known here only as the body's members."""
    return BodyKind(kind) in (BodyKind.INTER_SCHOOL_ASSOCIATION, BodyKind.UNION)


def member_key(
    kind: BodyKind | str, *, staff_id: UUID | None, organisation_id: UUID | None, member_id: UUID | None
) -> MemberKey:
    kind = BodyKind(kind)
    if kind is BodyKind.INTER_SCHOOL_ASSOCIATION:
        return (organisation_id, staff_id)
    if kind is BodyKind.UNION:
        return (member_id,)
    return (staff_id,)


def body_member_keys(body: BodyInfo) -> dict[MemberKey, BodyMember]:
    return {
        member_key(body.kind, staff_id=m.staff_id, organisation_id=m.organisation_id, member_id=m.member_id): m
        for m in body.members
    }
