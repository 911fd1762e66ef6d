"""An organisation's own page "what to fix": its current findings against the Rules, each linked
to the record it is about, for its administrator, head and deputy head (and the methodists above)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from api import i18n
from api.i18n import N_
from api.i18n import gettext as _
from web.client import ApiClient, together
from web.identity.viewer import header, viewer_via
from web.listing import territory_index
from web.templating import page, url_with
from web.views import PUBLIC

SUBJECT_KINDS: Mapping[str, str] = {
    "organisation": N_("The organisation"),
    "association": N_("Methodological association"),
    "inter_school_association": N_("Inter-school association"),
    "subject": N_("Subject taught"),
    "document": N_("Methodological document"),
    "unit": N_("Structural unit"),
}


def _clause_ok(value: str | None) -> str | None:
    return value if value and value.replace(".", "").isdigit() and len(value) <= 7 else None


class CompliancePages(Controller):
    path = "/organisations/{organisation_id:uuid}"

    @get("/what-to-fix", name="compliance:what-to-fix", opt=PUBLIC)
    async def what_to_fix(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        clause: FromQuery[str | None] = None,
    ) -> Template:
        chosen = _clause_ok(clause)
        base = f"/api/organisations/{organisation_id}/compliance/findings"
        org, everything, who = await together(
            api.organisation(organisation_id), api.get(base, params={"page_size": "200"}), viewer_via(api)
        )
        shown = [f for f in everything["items"] if chosen is None or f["clause"] == chosen]
        locale = i18n.current_locale()
        lang = locale if locale in ("kk", "ru", "en") else "ru"
        clauses = sorted({f["clause"] for f in everything["items"]}, key=lambda c: tuple(int(p) for p in c.split(".")))
        counts = {c: sum(1 for f in everything["items"] if f["clause"] == c) for c in clauses}
        here = f"/organisations/{organisation_id}/what-to-fix"
        # The methodists and administrators above come here from a dashboard: the way back up is
        # the dashboard of the organisation's own district (or wherever it is placed).
        district = None
        if header(request).reads_dashboards:
            district = (await territory_index(api)).by_id.get(org.territory_id)
        context = {
            "org": org,
            "findings": shown,
            "total": everything["total"],
            "checked": everything["checked"],
            "lang": lang,
            "clauses": clauses,
            "counts": counts,
            "chosen": chosen,
            "subject_kinds": {k: _(v) for k, v in SUBJECT_KINDS.items()},
            "all_url": here,
            "clause_urls": {c: url_with(here, {}, clause=c) for c in clauses},
            "district": district,
            "dashboard_url": url_with("/compliance", {}, territory_id=org.territory_id),
            # A document's page is for those who may read it: the methodists above see the finding
            # without a link that would only answer "not allowed".
            "reads_documents": who is None or who.reads_documents(str(organisation_id)),
        }
        return page(request, "compliance/what_to_fix.html", "findings_panel", context)
