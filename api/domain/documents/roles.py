"""Who may call the document and review routes (the route level; services decide on the object).

Here, in the lower of the two packages, so both read it without documents importing reviews."""

from __future__ import annotations

from api.roles import Role

# Everyone working in the organisation: authors write documents, bodies' keepers and role holders
# decide; services narrow each request to the document's authors, reviewers and readers.
STAFF = (
    Role.TEACHER,
    Role.UNIT_HEAD,
    Role.ASSOCIATION_LEADER,
    Role.COUNCIL_CHAIR,
    Role.COUNCIL_SECRETARY,
    Role.DEPUTY_HEAD,
    Role.HEAD,
    Role.ORGANISATION_ADMIN,
)
# Adjusting review routes within the clauses.
ADMIN = (Role.ORGANISATION_ADMIN,)
# The catalogue of approved methodological products (cl. 13.4): the organisation, and the
# district, region and republic above it.
CATALOGUE_READERS = (
    *STAFF,
    Role.DISTRICT_METHODIST,
    Role.REGIONAL_METHODIST,
    Role.NATIONAL_METHODIST,
    Role.REGIONAL_ADMIN,
    Role.NATIONAL_ADMIN,
)
