"""The organisation's calendar of a month: its bodies' meetings and its events, for everyone or
one staff member."""

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
from web.structure.common import Work, labels
from web.templating import page, parse_uuid, url_with
from web.views import PUBLIC


class CalendarPages(Controller):
    path = "/organisations/{organisation_id:uuid}"

    @get("/calendar", name="structure:calendar", opt=PUBLIC)
    async def calendar(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        month: FromQuery[str | None] = None,
        staff_id: FromQuery[str | None] = None,
    ) -> Template:
        first = _month(month) or today().replace(day=1)
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
            **labels(),
        }
        return page(request, "structure/calendar.html", "calendar_panel", context)


def _month(value: str | None) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None
