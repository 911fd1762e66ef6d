"""Who may do what with meetings, plans and events (the route level; services narrow to bodies)."""

from __future__ import annotations

from api.roles import Role

# Association leaders and council secretaries keep meetings and plans; so do the chairs, unit
# heads and the deputy head for academic work (cl. 14, 31) and the organisation's administrator.
KEEP = (
    Role.ORGANISATION_ADMIN,
    Role.DEPUTY_HEAD,
    Role.ASSOCIATION_LEADER,
    Role.COUNCIL_SECRETARY,
    Role.COUNCIL_CHAIR,
    Role.UNIT_HEAD,
)
# Teachers read their own bodies' meetings and plans; the head and the methodists above read all.
READ = (
    *KEEP,
    Role.HEAD,
    Role.TEACHER,
    Role.DISTRICT_METHODIST,
    Role.REGIONAL_METHODIST,
    Role.NATIONAL_METHODIST,
)
# Cl. 29: the head of the organisation approves an association's work plan.
APPROVE = (Role.HEAD,)
