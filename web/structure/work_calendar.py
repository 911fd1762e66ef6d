"""The organisation's work calendar page: its meetings and events by month, of one person or of all."""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from api.clock import KZ_TIME, today
from web.client import ApiClient, together

# A leader's term is flagged this many days before it ends (cl. 30: elected for one year).
from web.structure.pages import Work, page_labels
from web.templating import page, parse_uuid, url_with
from web.views import PUBLIC


class WorkCalendarPages(Controller):
    path = "/organisations/{organisation_id:uuid}"

    # --- the calendar --------------------------------------------------------------------------

    @get("/calendar", name="structure:calendar", opt=PUBLIC)
    async def calendar(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        month: FromQuery[str | None] = None,
        staff_id: FromQuery[str | None] = None,
    ) -> Template:
        first = month_of(month) or today().replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        person = parse_uuid(staff_id)
        work = Work(api, organisation_id)
        org, entries, staff = await together(
            api.organisation(organisation_id),
            work.get(
                "/work-calendar",
                **{
                    "from": datetime.datetime.combine(first, datetime.time.min, KZ_TIME).isoformat(),
                    "to": datetime.datetime.combine(following, datetime.time.min, KZ_TIME).isoformat(),
                },
                staff_id=person,
            ),
            work.get("/staff", page_size=200),
        )
        days: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            local = datetime.datetime.fromisoformat(entry["starts_at"]).astimezone(KZ_TIME)
            entry["local_time"] = local.strftime("%H:%M")
            entry["path"] = (
                f"/organisations/{organisation_id}/meetings/{entry['id']}" if entry["type"] == "meeting" else None
            )
            days.setdefault(local.date().isoformat(), []).append(entry)
        previous = (first - datetime.timedelta(days=1)).replace(day=1)
        params = {"staff_id": person}
        context = {
            "org": org,
            "days": days,
            "month": first,
            "staff": staff["items"],
            "person": person,
            "previous_url": url_with(
                f"/organisations/{organisation_id}/calendar", params, month=previous.strftime("%Y-%m")
            ),
            "next_url": url_with(
                f"/organisations/{organisation_id}/calendar", params, month=following.strftime("%Y-%m")
            ),
            "month_value": first.strftime("%Y-%m"),
            **page_labels(),
        }
        return page(request, "structure/calendar.html", "calendar_panel", context)


def month_of(value: str | None) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None
