"""The roles of the hierarchy and where each is assigned.

A role is granted at one node (api.access.Grant) and holds for everything below it: a district
methodist granted at a district reaches every organisation of that district.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    NATIONAL_ADMIN = "national_admin"
    NATIONAL_METHODIST = "national_methodist"  # reads everything
    REGIONAL_ADMIN = "regional_admin"
    REGIONAL_METHODIST = "regional_methodist"
    DISTRICT_METHODIST = "district_methodist"  # appoints inter-school association leaders (cl. 30)
    ORGANISATION_ADMIN = "organisation_admin"
    HEAD = "head"  # head of the organisation: approves working curricula (cl. 19), plans (cl. 29)
    DEPUTY_HEAD = "deputy_head"  # deputy head for academic work (cl. 14, 31)
    UNIT_HEAD = "unit_head"
    COUNCIL_CHAIR = "council_chair"
    COUNCIL_SECRETARY = "council_secretary"
    ASSOCIATION_LEADER = "association_leader"
    TEACHER = "teacher"


class NodeLevel(enum.StrEnum):
    REPUBLIC = "republic"
    REGION = "region"  # a region or a city of republican significance
    DISTRICT = "district"  # a district or a town
    ORGANISATION = "organisation"
    UNIT = "unit"  # a unit inside an organisation (an association, a department, a council …)


# Where each role may be granted.
ROLE_LEVELS: dict[Role, frozenset[NodeLevel]] = {
    Role.NATIONAL_ADMIN: frozenset({NodeLevel.REPUBLIC}),
    Role.NATIONAL_METHODIST: frozenset({NodeLevel.REPUBLIC}),
    Role.REGIONAL_ADMIN: frozenset({NodeLevel.REGION}),
    Role.REGIONAL_METHODIST: frozenset({NodeLevel.REGION}),
    Role.DISTRICT_METHODIST: frozenset({NodeLevel.DISTRICT}),
    Role.ORGANISATION_ADMIN: frozenset({NodeLevel.ORGANISATION}),
    Role.HEAD: frozenset({NodeLevel.ORGANISATION}),
    Role.DEPUTY_HEAD: frozenset({NodeLevel.ORGANISATION, NodeLevel.UNIT}),
    Role.UNIT_HEAD: frozenset({NodeLevel.UNIT}),
    Role.COUNCIL_CHAIR: frozenset({NodeLevel.ORGANISATION, NodeLevel.UNIT}),
    Role.COUNCIL_SECRETARY: frozenset({NodeLevel.ORGANISATION, NodeLevel.UNIT}),
    Role.ASSOCIATION_LEADER: frozenset({NodeLevel.ORGANISATION, NodeLevel.UNIT}),
    Role.TEACHER: frozenset({NodeLevel.ORGANISATION}),
}

# Any signed-in principal; what they see is filtered by their reach in the hierarchy. The guard
# wants a grant for it: a person who holds no role yet is refused.
ANY_SIGNED_IN = "any"
# Any signed-in principal, even one holding no role at all: for routes about the caller only
# (who am I, my sessions), whose answers and changes never reach past the caller's own records.
# Never on a route that names an organisation: there a grant reaching it is always needed.
# Read-only roles may change their own records through such a route (end their own session).
SELF = "self"
