"""The isolation matrix: every route of the API × eight callers → the expected status, and no
response body carrying the data of a tenant outside the caller's reach.

The routes come from the application's route table (OPTIONS/HEAD answers Litestar adds itself and
the OpenAPI description are left out). Each needs an entry in EXPECTED, keyed "METHOD /path" as
the route table spells the path; a route without one fails with a message saying to add it.

The callers (the target is school A in district D1 of region R1; B is a school of district D2 in
region R2; C is D1's methodological cabinet):

  anonymous        no credentials
  other            a user of another organisation with the route's role: the lowest-level role
                   the route admits, held at B (organisation or unit roles), D2 (district roles)
                   or R2 (regional roles); teacher at B for "any"; organisation admin at B for
                   routes only national roles may use; a user holding no role at all for the
                   routes about oneself ("self": who am I, my sessions)
  lower            a teacher at A (a lower role in the same organisation)
  dm_in            a district methodist of D1 (A is in scope)
  dm_out           a district methodist of D2 (A is out of scope)
  national_ro      a national methodist (reads everything, writes where a route names the role)
  revoked_session  a national admin whose session was revoked
  expired_token    a national admin's API token that has expired

User callers sign in with browser sessions made through the session machinery, fresh for every
route (a route may end sessions). Path parameters name A and objects at A; ids the matrix does not
own are random, so a caller who passes the guard gets the route's own 404 or 400.
"""

from __future__ import annotations

import datetime
import re
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from api.access import Grant
from api.domain.accounts.models import RoleAssignment
from api.identity.guards import is_auto_options
from api.identity.reach import role_names
from api.roles import ROLE_LEVELS, SELF, NodeLevel, Role
from tests.identity.access.conftest import World, client_at
from tests.identity.access.principals import bearer, token_secret
from tests.identity.access.report import TALLY

CASES = (
    "anonymous",
    "other",
    "lower",
    "dm_in",
    "dm_out",
    "national_ro",
    "revoked_session",
    "expired_token",
)

SCHEMA_PREFIX = "/api/schema"


@dataclass(frozen=True)
class Entry:
    statuses: dict[str, int]
    body: Callable[[World], Any] | None = None


def E(
    anonymous: int,
    other: int,
    lower: int,
    dm_in: int,
    dm_out: int,
    national_ro: int,
    revoked_session: int,
    expired_token: int,
    *,
    body: Callable[[World], Any] | None = None,
) -> Entry:
    values = (anonymous, other, lower, dm_in, dm_out, national_ro, revoked_session, expired_token)
    return Entry(dict(zip(CASES, values, strict=True)), body)


def _in_a_year() -> str:
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)).isoformat()


def _new_school(w: World) -> dict[str, Any]:
    from tests.support import school_payload

    return school_payload(str(w.district1), name_en="Matrix new school")


# fmt: off
EXPECTED: dict[str, Entry] = {
    # --- system (public) ---------------------------------------------------------------------
    "GET /api/health":                                  E(200, 200, 200, 200, 200, 200, 200, 200),
    "GET /api/ready":                                   E(200, 200, 200, 200, 200, 200, 200, 200),
    # --- metrics: the loopback interface or the metrics token, never a user (api/metrics.py);
    # every caller here comes from another address ---------------------------------------------
    "GET /metrics":                                     E(403, 403, 403, 403, 403, 403, 403, 403),
    # --- territories: any signed-in caller reads the hierarchy -----------------------------------
    "GET /api/territories":                             E(401, 200, 200, 200, 200, 200, 401, 401),
    "GET /api/territories/{territory_id:uuid}":         E(401, 200, 200, 200, 200, 200, 401, 401),
    # --- organisations (shared; the list is filtered by reach) -----------------------------------
    "GET /api/organisations":                           E(401, 200, 200, 200, 200, 200, 401, 401),
    # other = regional admin of R2: passes the guard, refused by the territory check (403).
    "POST /api/organisations":                          E(401, 403, 403, 403, 403, 403, 401, 401, body=_new_school),
    "GET /api/organisations/{organisation_id:uuid}":    E(401, 404, 200, 200, 404, 200, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}":  E(401, 404, 403, 403, 404, 403, 401, 401,
                                                          body=lambda w: {"name_en": "Renamed by matrix"}),
    "GET /api/organisations/{organisation_id:uuid}/provisioning": E(401, 404, 200, 200, 404, 200, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/provision":   E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/suspend":     E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/resume":      E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/archive":     E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- API tokens (other = organisation admin of B) --------------------------------------------
    "GET /api/tokens":                                  E(401, 200, 403, 403, 403, 403, 401, 401),
    "POST /api/tokens":                                 E(401, 404, 403, 403, 403, 403, 401, 401,
                                                          body=lambda w: {"name": "matrix", "role": "teacher",
                                                                          "organisation_id": str(w.a.id),
                                                                          "expires_at": _in_a_year()}),
    "GET /api/tokens/{token_id:uuid}":                  E(401, 404, 403, 403, 403, 403, 401, 401),
    "POST /api/tokens/{token_id:uuid}/revoke":          E(401, 404, 403, 403, 403, 403, 401, 401),
    # --- role assignments (other = organisation admin of B) --------------------------------------
    # dm_in passes the guard (district methodists grant inter-school leaders) and is refused by
    # the cl. 30 rule (403); dm_out does not reach A (404).
    "POST /api/role-assignments":                       E(401, 404, 403, 403, 404, 403, 401, 401,
                                                          body=lambda w: {"user_id": str(w.target_user), "role": "head",
                                                                          "organisation_id": str(w.a.id)}),
    "DELETE /api/role-assignments/{assignment_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "GET /api/users/{user_id:uuid}/roles":              E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/role-assignments": E(401, 404, 200, 200, 404, 200, 401, 401),
    # The people of A with their e-mail addresses: for A's administrators only.
    "GET /api/organisations/{organisation_id:uuid}/people": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- the other areas' routes ---------------------------------------------------------------
    # Statuses follow each route's declared opt: reads open to teachers and methodists answer 200
    # (lists) or the route's own 404 (a random id); writes for the organisation's office holders
    # are 403 for a teacher, a methodist of the district and the national methodist. Whatever
    # the route, outsiders (another organisation, the other district) get 404 and revoked or
    # expired credentials 401 — test_entries_keep_outsiders_out checks those cells.
    # --- associations ---
    "GET /api/organisations/{organisation_id:uuid}/associations": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/associations/kinds": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/associations/{association_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/associations/{association_id:uuid}/leaders": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/associations/{association_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/associations": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/associations/{association_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/associations/{association_id:uuid}/leaders": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/associations/{association_id:uuid}/leaders/{term_id:uuid}/end": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- audit-log ---
    "GET /api/organisations/{organisation_id:uuid}/audit-log": E(401, 404, 403, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/audit-log/verify": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- onboarding imports (shared; a job is seen by its uploader, national admins, and for a
    # staff import the organisation's administrators: anyone else is told it does not exist) ---
    # other = regional admin of R2: passes the guard; no file sent (400).
    "POST /api/imports/organisations":                  E(401, 400, 403, 403, 403, 403, 401, 401),
    "GET /api/imports/{job_id:uuid}":                   E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/imports/{job_id:uuid}/rows":              E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/imports/{job_id:uuid}/report":            E(401, 404, 404, 404, 404, 404, 401, 401),
    # Methodists only read: refused before the job is looked up (403).
    "POST /api/imports/{job_id:uuid}/start":            E(401, 404, 404, 403, 403, 403, 401, 401),
    # Any signed-in caller; "matrix" is not a kind of import (400).
    "GET /api/imports/templates/{kind:str}/xlsx":       E(401, 400, 400, 400, 400, 400, 401, 401),
    "GET /api/imports/templates/{kind:str}/csv":        E(401, 400, 400, 400, 400, 400, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/imports/staff": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- access requests ---
    # Asking is "self" (other: a user holding no role; every signed-in person may ask, at a
    # district here so that no answer names school A); answering is for administrators, each
    # within their reach (other: the organisation admin of B, who sees none of A's requests).
    "GET /api/access-requests/places":                  E(401, 200, 200, 200, 200, 200, 401, 401),
    "GET /api/access-requests/mine":                    E(401, 200, 200, 200, 200, 200, 401, 401),
    "POST /api/access-requests":                        E(401, 201, 201, 201, 201, 201, 401, 401,
                                                          body=lambda w: {"territory_id": str(w.district1),
                                                                          "message": "matrix"}),
    "POST /api/access-requests/{request_id:uuid}/withdraw": E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/access-requests":                         E(401, 200, 403, 403, 403, 403, 401, 401),
    "POST /api/access-requests/{request_id:uuid}/answer": E(401, 404, 403, 403, 403, 403, 401, 401,
                                                          body=lambda w: {"decision": "decline"}),
    # --- auth ---
    # me and my sessions are declared "self": "other" is there a user who holds no role at all,
    # and every signed-in caller reads them (a random session id is not theirs: 404).
    "DELETE /api/auth/sessions/{session_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/auth/callback/{provider_id:str}": E(400, 400, 400, 400, 400, 400, 400, 400),
    "GET /api/auth/dev/users": E(404, 404, 404, 404, 404, 404, 404, 404),
    "GET /api/auth/invitations/{token:str}": E(404, 404, 404, 404, 404, 404, 404, 404),
    "GET /api/auth/login": E(400, 400, 400, 400, 400, 400, 400, 400),
    "GET /api/auth/me": E(401, 200, 200, 200, 200, 200, 401, 401),
    "GET /api/auth/providers": E(200, 200, 200, 200, 200, 200, 200, 200),
    "GET /api/auth/sessions": E(401, 200, 200, 200, 200, 200, 401, 401),
    "GET /api/auth/sign-in-addresses": E(200, 200, 200, 200, 200, 200, 200, 200),
    "POST /api/auth/dev/sign-in": E(400, 400, 400, 400, 400, 400, 400, 400),
    "POST /api/auth/logout": E(200, 200, 200, 200, 200, 200, 200, 200),
    # --- bodies ---
    "GET /api/organisations/{organisation_id:uuid}/bodies": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/bodies/{body_kind:str}/{body_id:uuid}": E(401, 404, 400, 400, 404, 400, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/bodies/{body_kind:str}/{body_id:uuid}/members": E(401, 404, 400, 400, 404, 400, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/bodies/{body_kind:str}/{body_id:uuid}/members": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/bodies/{body_kind:str}/{body_id:uuid}/members/{membership_id:uuid}/end": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- calendar ---
    "GET /api/organisations/{organisation_id:uuid}/calendar": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/calendar/current": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/calendar/terms/{term_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/calendar/{school_year:int}": E(401, 404, 200, 200, 404, 200, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/calendar/terms/{term_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/calendar": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/calendar/terms/{term_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- commissions ---
    "GET /api/organisations/{organisation_id:uuid}/commissions": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/commissions/{commission_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/commissions/{commission_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/commissions": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/commissions/{commission_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- compliance ---
    "GET /api/organisations/{organisation_id:uuid}/compliance/association-meetings": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/compliance/findings": E(401, 404, 403, 200, 404, 200, 401, 401),
    # Shared, filtered by reach: callers elsewhere get their own organisations' findings only.
    "GET /api/compliance/findings":                     E(401, 200, 403, 200, 200, 200, 401, 401),
    # A territory's dashboards: each methodist sees their own territory by default (dm_out: D2's).
    "GET /api/compliance/dashboard":                    E(401, 200, 403, 200, 200, 200, 401, 401),
    "GET /api/compliance/organisations":                E(401, 200, 403, 200, 200, 200, 401, 401),
    "GET /api/compliance/export/csv":                   E(401, 200, 403, 200, 200, 200, 401, 401),
    "GET /api/compliance/export/xlsx":                  E(401, 200, 403, 200, 200, 200, 401, 401),
    # --- councils ---
    "GET /api/organisations/{organisation_id:uuid}/councils": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/councils/{council_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/councils/{council_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/councils": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/councils/{council_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- events ---
    "GET /api/organisations/{organisation_id:uuid}/events": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/events/{event_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/events/{event_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/events": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/events/{event_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- sign-in domains (api.identity.domains) ---
    "POST /api/auth/domain-confirmations": E(400, 400, 400, 400, 400, 400, 400, 400),
    "GET /api/organisations/{organisation_id:uuid}/domains": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/domains": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/domains/{domain:str}/check-dns": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/domains/{domain:str}/mailbox": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/domains/{domain:str}/approve": E(401, 404, 403, 403, 404, 403, 401, 401),
    "DELETE /api/organisations/{organisation_id:uuid}/domains/{domain:str}": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- identity-providers ---
    "DELETE /api/organisations/{organisation_id:uuid}/identity-providers/{provider_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/identity-providers": E(401, 404, 403, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/identity-providers/{provider_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/identity-providers/{provider_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/identity-providers": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- inter-school-associations ---
    "GET /api/organisations/{organisation_id:uuid}/inter-school-associations": E(401, 404, 200, 200, 404, 200, 401, 401),
    # dm_in passes the guard and is refused because A is a school, not a district cabinet (422).
    "GET /api/organisations/{organisation_id:uuid}/inter-school-associations/district": E(401, 404, 403, 422, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/inter-school-associations/{association_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/inter-school-associations/{association_id:uuid}/leaders": E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/inter-school-associations/{association_id:uuid}/members": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/inter-school-associations/{association_id:uuid}": E(401, 404, 403, 404, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/inter-school-associations": E(401, 404, 403, 400, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/inter-school-associations/{association_id:uuid}/archive": E(401, 404, 403, 404, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/inter-school-associations/{association_id:uuid}/leaders": E(401, 404, 403, 400, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/inter-school-associations/{association_id:uuid}/leaders/{term_id:uuid}/end": E(401, 404, 403, 404, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/inter-school-associations/{association_id:uuid}/members": E(401, 404, 403, 400, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/inter-school-associations/{association_id:uuid}/members/{member_id:uuid}/end": E(401, 404, 403, 404, 404, 403, 401, 401),
    # --- invitations ---
    "DELETE /api/organisations/{organisation_id:uuid}/invitations/{invitation_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/invitations": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/invitations": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- meetings ---
    "GET /api/organisations/{organisation_id:uuid}/meetings": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/quorum": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/agenda/{item_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/decisions/{decision_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/meetings": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/agenda": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/agenda/{item_id:uuid}/remove": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/decisions": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/decisions/{decision_id:uuid}/remove": E(401, 404, 403, 403, 404, 403, 401, 401),
    "PUT /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/attendance": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- pedagogical-council ---
    "GET /api/organisations/{organisation_id:uuid}/pedagogical-council": E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/pedagogical-council/{council_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/pedagogical-council/{council_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/pedagogical-council": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/pedagogical-council/{council_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- plans ---
    "GET /api/organisations/{organisation_id:uuid}/plans": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}/items/{item_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/plans": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}/approve": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}/items": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}/items/{item_id:uuid}/remove": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}/return": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}/submit": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}/versions": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- staff ---
    "GET /api/organisations/{organisation_id:uuid}/staff": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/staff/{staff_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/staff/{staff_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/staff": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/staff/{staff_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- subjects ---
    "GET /api/organisations/{organisation_id:uuid}/subjects": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/subjects/{subject_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/subjects/{subject_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/subjects": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/subjects/{subject_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- unions ---
    "GET /api/organisations/{organisation_id:uuid}/unions": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/unions/{union_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/unions/{union_id:uuid}/members": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/unions/{union_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/unions": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/unions/{union_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/unions/{union_id:uuid}/members": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/unions/{union_id:uuid}/members/{member_id:uuid}/end": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- units ---
    "GET /api/organisations/{organisation_id:uuid}/units": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/units/kinds": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/units/tree": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/units/{unit_id:uuid}": E(401, 404, 404, 404, 404, 404, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/units/{unit_id:uuid}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/units": E(401, 404, 403, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/units/{unit_id:uuid}/archive": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- users ---
    "DELETE /api/users/{user_id:uuid}/sessions": E(401, 403, 403, 403, 403, 403, 401, 401),
    "GET /api/users/{user_id:uuid}/sessions": E(401, 403, 403, 403, 403, 403, 401, 401),
    # --- work-calendar ---
    "GET /api/organisations/{organisation_id:uuid}/work-calendar": E(401, 404, 400, 400, 404, 400, 401, 401),
    # --- catalogue ---
    "GET /api/organisations/{organisation_id:uuid}/catalogue": E(401, 404, 200, 200, 404, 200, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/catalogue/{document_id:uuid}/file": E(401, 404, 404, 404, 404, 404, 401, 401),
    # --- documents ---
    "GET /api/organisations/{organisation_id:uuid}/documents": E(401, 404, 200, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}": E(401, 404, 404, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}/diff": E(401, 404, 400, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}/route": E(401, 404, 404, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}/route-plan": E(401, 404, 404, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}/timeline": E(401, 404, 404, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}/versions/{version_id:uuid}/file": E(401, 404, 404, 403, 404, 403, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}": E(401, 404, 404, 403, 404, 403, 401, 401),
    "PATCH /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}/versions/{version_id:uuid}": E(401, 404, 400, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/documents": E(401, 404, 400, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}/decisions": E(401, 404, 400, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}/submissions": E(401, 404, 400, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}/versions": E(401, 404, 400, 403, 404, 403, 401, 401),
    # --- notifications ---
    "GET /api/organisations/{organisation_id:uuid}/notifications": E(401, 404, 200, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/notifications/preference": E(401, 404, 200, 403, 404, 403, 401, 401),
    "POST /api/organisations/{organisation_id:uuid}/notifications/{notification_id:uuid}/read": E(401, 404, 200, 403, 404, 403, 401, 401),
    "PUT /api/organisations/{organisation_id:uuid}/notifications/preference": E(401, 404, 400, 403, 404, 403, 401, 401),
    # --- review-routes ---
    "DELETE /api/organisations/{organisation_id:uuid}/review-routes/{kind:str}": E(401, 404, 403, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/review-routes": E(401, 404, 200, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/review-routes/{kind:str}": E(401, 404, 400, 403, 404, 403, 401, 401),
    "PUT /api/organisations/{organisation_id:uuid}/review-routes/{kind:str}": E(401, 404, 403, 403, 404, 403, 401, 401),
    # --- reviews ---
    "GET /api/organisations/{organisation_id:uuid}/reviews/agenda": E(401, 404, 400, 403, 404, 403, 401, 401),
    "GET /api/organisations/{organisation_id:uuid}/reviews/inbox": E(401, 404, 200, 403, 404, 403, 401, 401),
    # A teacher's empty body must be a clear 4xx (it answered 500 when this entry was written).
    "POST /api/organisations/{organisation_id:uuid}/reviews/agenda": E(401, 404, 400, 403, 404, 403, 401, 401),
}
# fmt: on


# --- the route table ---------------------------------------------------------------------------


def _api_app() -> Any:
    from api.app import create_api_app
    from api.settings import Settings

    # Building the app touches no database; only its route table is read.
    return create_api_app(Settings(environment="test"), "postgresql://route-table@127.0.0.1/none", run_worker=False)


@dataclass(frozen=True)
class RouteCase:
    key: str
    method: str
    path: str
    role: Any


def route_table() -> list[RouteCase]:
    found: dict[str, RouteCase] = {}
    for route in _api_app().routes:
        if route.path == SCHEMA_PREFIX or route.path.startswith(SCHEMA_PREFIX + "/"):
            continue
        for handler in getattr(route, "route_handlers", []):
            methods = sorted(getattr(handler, "http_methods", None) or [])
            if is_auto_options(handler):
                continue
            for method in methods:
                if method in {"OPTIONS", "HEAD"}:
                    continue
                key = f"{method} {route.path}"
                found[key] = RouteCase(key, method, route.path, (handler.opt or {}).get("role"))
    return [found[k] for k in sorted(found)]


ROUTES = route_table()


def test_every_route_has_an_entry_and_every_entry_a_route() -> None:
    keys = {r.key for r in ROUTES}
    missing = sorted(keys - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - keys)
    assert not missing, (
        "Routes without an isolation entry — add one to EXPECTED in "
        "tests/identity/access/test_isolation_matrix.py for each:\n  " + "\n  ".join(missing)
    )
    assert not stale, "EXPECTED names routes that no longer exist:\n  " + "\n  ".join(stale)


def test_entries_keep_outsiders_out() -> None:
    """No entry may let an outsider into a tenant: the cells that prove isolation are fixed."""
    wrong = []
    for key, entry in EXPECTED.items():
        if "/api/organisations/{organisation_id:uuid}/" not in key:
            continue
        cells = {c: entry.statuses[c] for c in ("anonymous", "other", "dm_out", "revoked_session", "expired_token")}
        if cells != {"anonymous": 401, "other": 404, "dm_out": 404, "revoked_session": 401, "expired_token": 401}:
            wrong.append(f"{key}: {cells}")
    assert not wrong, "Entries that open an organisation to outsiders:\n  " + "\n  ".join(wrong)


# --- the callers -------------------------------------------------------------------------------

_LEVEL_ORDER = (NodeLevel.UNIT, NodeLevel.ORGANISATION, NodeLevel.DISTRICT, NodeLevel.REGION, NodeLevel.REPUBLIC)
OTHER_UNIT = uuid.UUID("00000000-0000-7000-8000-00000000b0b0")


def other_grant(route_role: Any, w: World) -> Grant | None:
    """The route's own role, held in the other organisation (or its district or region); None
    (no role at all) for the routes about oneself."""
    if route_role == SELF:
        return None
    names = role_names(route_role)
    if names is None:
        return Grant(Role.TEACHER, organisation_id=w.b.id)

    def lowest(role: str) -> tuple[int, str]:
        return (min(_LEVEL_ORDER.index(level) for level in ROLE_LEVELS[Role(role)]), role)

    role = min(names, key=lowest)
    level = _LEVEL_ORDER[lowest(role)[0]]
    if level == NodeLevel.UNIT:
        return Grant(role, organisation_id=w.b.id, unit_id=OTHER_UNIT)
    if level == NodeLevel.ORGANISATION:
        return Grant(role, organisation_id=w.b.id)
    if level == NodeLevel.DISTRICT:
        return Grant(role, territory_id=w.district2)
    if level == NodeLevel.REGION:
        return Grant(role, territory_id=w.region2)
    return Grant(Role.ORGANISATION_ADMIN, organisation_id=w.b.id)


async def credentials(case: str, route: RouteCase, w: World) -> dict[str, str]:
    if case == "anonymous":
        return {}
    if case == "other":
        grant = other_grant(route.role, w)
        return await w.session(grant) if grant is not None else await w.session()
    if case == "lower":
        return await w.session(Grant(Role.TEACHER, organisation_id=w.a.id))
    if case == "dm_in":
        return await w.session(Grant(Role.DISTRICT_METHODIST, territory_id=w.district1))
    if case == "dm_out":
        return await w.session(Grant(Role.DISTRICT_METHODIST, territory_id=w.district2))
    if case == "national_ro":
        return await w.session(Grant(Role.NATIONAL_METHODIST, territory_id=w.republic))
    if case == "revoked_session":
        return await w.session(Grant(Role.NATIONAL_ADMIN, territory_id=w.republic), revoked=True)
    if case == "expired_token":
        expired = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
        return bearer(await token_secret(w.db, Grant(Role.NATIONAL_ADMIN, territory_id=w.republic), expires_at=expired))
    raise AssertionError(case)


def forbidden_orgs(case: str, w: World) -> list[Any]:
    """The organisations whose data the caller must never see."""
    return {
        "anonymous": [w.a, w.b, w.cabinet],
        "other": [w.a, w.cabinet],
        "lower": [w.b, w.cabinet],
        "dm_in": [w.b],
        "dm_out": [w.a, w.cabinet],
        "national_ro": [],
        "revoked_session": [w.a, w.b, w.cabinet],
        "expired_token": [w.a, w.b, w.cabinet],
    }[case]


# --- the objects the paths name -----------------------------------------------------------------


@dataclass
class Targets:
    values: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def targets(world: World) -> Targets:
    """A user, a role assignment and an API token at A, for the routes that name them."""
    user = await world.user(Grant(Role.TEACHER, organisation_id=world.a.id))
    world.target_user = user
    async with world.db.session() as session:
        assignment = await session.scalar(select(RoleAssignment.id).where(RoleAssignment.user_id == user))
    from api.identity.tokens import ApiToken

    await token_secret(
        world.db, Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id), name=f"{world.a.name_en} system"
    )
    async with world.db.session() as session:
        token = await session.scalar(
            select(ApiToken.id).where(ApiToken.organisation_id == world.a.id).order_by(ApiToken.created_at.desc())
        )
    return Targets(
        {
            "organisation_id": str(world.a.id),
            "territory_id": str(world.district1),
            "user_id": str(user),
            "assignment_id": str(assignment),
            "token_id": str(token),
        }
    )


def concrete_path(path: str, targets: Targets) -> str:
    out = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name, _, kind = part[1:-1].partition(":")
            if name in targets.values:
                part = targets.values[name]
            elif kind in ("uuid", ""):
                part = str(uuid.uuid4())
            elif kind == "int":
                part = "1"
            elif kind == "date":
                part = "2026-01-01"
            else:
                part = "matrix"
        out.append(part)
    return "/".join(out)


# --- the matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=[r.key for r in ROUTES])
async def test_isolation(route: RouteCase, app: Any, world: World, targets: Targets) -> None:
    TALLY.ran = True
    entry = EXPECTED.get(route.key)
    if entry is None:
        pytest.fail(
            f"No isolation entry for {route.key!r}: add one to EXPECTED in "
            "tests/identity/access/test_isolation_matrix.py (statuses for the eight callers)."
        )
    path = concrete_path(route.path, targets)
    failures: list[str] = []
    for index, case in enumerate(CASES):
        headers = await credentials(case, route, world)
        kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
        if route.method in {"POST", "PUT", "PATCH"}:
            kwargs["json"] = entry.body(world) if entry.body else {}
        # Each caller comes from its own address: the rate limits count per address.
        async with client_at(app, f"10.77.{index}.{zlib.crc32(route.key.encode()) % 250 + 1}") as http:
            response = await http.request(route.method, path, **kwargs)
        TALLY.cases += 1
        expected = entry.statuses[case]
        if response.status_code != expected:
            failures.append(f"{case}: expected {expected}, got {response.status_code}: {response.text[:200]}")
        text = response.text
        leaked = [m for org in forbidden_orgs(case, world) for m in org.markers if m and m in text]
        if leaked:
            TALLY.leaks += 1
            failures.append(f"{case}: LEAK of another tenant's data {leaked[:3]} in {text[:200]}")
    assert not failures, f"{route.key} ({path}):\n  " + "\n  ".join(failures)


# --- acts of a person -----------------------------------------------------------------------------

# Every route whose act is a conclusion, an approval or a body's decision: only a person signed in
# may call it. The declaration lives on the route (access(…, person_only=True)); this list is what
# the Rules make a person's act, so a route that decides without the declaration fails here.
DECIDING = {
    "POST /api/organisations/{organisation_id:uuid}/documents/{document_id:uuid}/decisions",
    "POST /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}/approve",
    "POST /api/organisations/{organisation_id:uuid}/plans/{plan_id:uuid}/return",
    "POST /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/decisions",
    "PATCH /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/decisions/{decision_id:uuid}",
    "POST /api/organisations/{organisation_id:uuid}/meetings/{meeting_id:uuid}/decisions/{decision_id:uuid}/remove",
}


def _handler_opts() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for route in _api_app().routes:
        for handler in getattr(route, "route_handlers", []):
            for method in getattr(handler, "http_methods", None) or []:
                found[f"{method} {route.path}"] = dict(handler.opt or {})
    return found


def test_deciding_routes_are_declared_person_only_and_the_openapi_document_says_so() -> None:
    from api.access import PERSON_ONLY_EXTENSION, TOKEN_MAY_NOT_DECIDE, is_person_only, tokens_refused_because
    from api.openapi_doc import openapi_document

    opts = _handler_opts()
    deciding = {key for key, opt in opts.items() if tokens_refused_because(opt) == TOKEN_MAY_NOT_DECIDE}
    assert deciding == DECIDING
    person_only = {key for key, opt in opts.items() if is_person_only(opt)}
    assert DECIDING < person_only  # the management routes closed to tokens are person-only too
    marked = set()
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get(PERSON_ONLY_EXTENSION):
                marked.add((method.upper(), path))
    # The route table spells path parameters with their kind ({id:uuid}, {domain:str}); OpenAPI without.
    assert marked == {(k.split(" ")[0], re.sub(r":\w+}", "}", k.split(" ")[1])) for k in person_only}


@pytest.mark.parametrize("key", sorted(DECIDING))
async def test_a_token_holding_the_deciding_role_is_refused_and_a_person_holding_it_is_not(
    key: str, app: Any, world: World, targets: Targets
) -> None:
    """Tokens (regional systems) read and register; conclusions and approvals are acts of a person.
    The refusal says why and cites no clause (the Rules do not speak of tokens)."""
    from api.access import TOKEN_MAY_NOT_DECIDE

    method, path = key.split(" ", 1)
    names = sorted(role_names(_handler_opts()[key]["role"]) or ())
    role = Role.HEAD if Role.HEAD.value in names else Role(names[0])
    grant = Grant(role, organisation_id=world.a.id)
    body = {
        "stage_id": str(uuid.uuid4()),
        "version_id": str(uuid.uuid4()),
        "outcome": "positive",
        "text": "x",
        "comment": "x",
    }
    async with client_at(app, "10.78.0.1") as http:
        token = bearer(await token_secret(world.db, grant, name="regional system"))
        refused = await http.request(
            method, concrete_path(path, targets), json=body, headers={**token, "Idempotency-Key": uuid.uuid4().hex}
        )
        person = await world.session(grant)
        admitted = await http.request(
            method, concrete_path(path, targets), json=body, headers={**person, "Idempotency-Key": uuid.uuid4().hex}
        )
    assert refused.status_code == 403, refused.text
    assert refused.json()["message"] == TOKEN_MAY_NOT_DECIDE and refused.json()["clause"] is None
    # The person gets past the guard to the route's own answer (the objects named are random: 404/422).
    assert admitted.status_code != 403 or admitted.json()["message"] != TOKEN_MAY_NOT_DECIDE, admitted.text
    assert admitted.status_code in (404, 422, 400), admitted.text
