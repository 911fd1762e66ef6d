"""Calling the API as the people of a test world (browser sessions made as sign-in makes them)."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import httpx

from tests.identity.access.principals import session_cookie
from tests.reviews.world import World


class Api:
    def __init__(self, app: Any, db: Any, world: World) -> None:
        self.app, self.db, self.world = app, db, world
        self._cookies: dict[str, dict[str, str]] = {}
        self.base = f"/api/organisations/{world.org_id}"

    async def headers(self, who: str) -> dict[str, str]:
        if who not in self._cookies:
            self._cookies[who] = await session_cookie(self.app.api, self.db, self.world[who].user_id)
        return self._cookies[who]

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://testserver")

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**(await self.headers(who)), **kwargs.pop("headers", {})}
        async with self.client() as c:
            return await c.request(method, self.base + path, headers=headers, **kwargs)

    async def create(self, who: str, **payload: Any) -> dict[str, Any]:
        r = await self.call(who, "POST", "/documents", json=payload)
        assert r.status_code == 201, r.text
        return r.json()

    async def upload(
        self,
        who: str,
        document_id: str,
        content: bytes,
        name: str,
        note: str | None = None,
        media_type: str = "application/octet-stream",
    ) -> httpx.Response:
        data = {"change_note": note} if note else {}
        return await self.call(
            who, "POST", f"/documents/{document_id}/versions", files={"file": (name, content, media_type)}, data=data
        )

    async def submit(self, who: str, document_id: str, version_id: str) -> httpx.Response:
        return await self.call(who, "POST", f"/documents/{document_id}/submissions", json={"version_id": version_id})

    async def decide(self, who: str, document_id: str, key: str | None = None, **body: Any) -> httpx.Response:
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        body = {k: (str(v) if isinstance(v, UUID) else v) for k, v in body.items()}
        return await self.call(who, "POST", f"/documents/{document_id}/decisions", json=body, headers=headers)

    async def timeline(self, who: str, document_id: str) -> dict[str, Any]:
        r = await self.call(who, "GET", f"/documents/{document_id}/timeline")
        assert r.status_code == 200, r.text
        return r.json()

    def decision_for(self, stage: dict[str, Any], version_id: str) -> list[tuple[str, dict[str, Any]]]:
        """Who decides the stage, with what body: one entry, or one per council still to decide."""
        out = []
        if stage["kind"] == "approval":
            person = "head" if "head" in stage["approver_roles"] else "deputy"
            return [(person, {"stage_id": stage["id"], "version_id": version_id, "outcome": "positive"})]
        for member in stage["members"]:
            if member["decided"]:
                continue
            body_id = UUID(member["body_id"])
            body = {"stage_id": stage["id"], "version_id": version_id, "outcome": "positive"}
            if stage["kind"] == "all_councils":
                body["body_id"] = member["body_id"]
            if member["collegial"]:
                name = next(k for k, (_, i) in self.world.bodies.items() if i == body_id)
                meeting, item = self.world.meetings[name]
                body.update(meeting_id=str(meeting), agenda_item_id=str(item))
            out.append((self.world.keeper[body_id], body))
        return out

    async def walk_to_approval(self, document_id: str, author: str = "author") -> list[dict[str, Any]]:
        """Decides every stage positively, in order, as the right people; returns the stages walked."""
        walked = []
        for _ in range(40):
            timeline = await self.timeline(author, document_id)
            round_ = timeline["rounds"][-1]
            if round_["status"] == "approved":
                return walked
            stage = round_["stages"][round_["current_position"]]
            walked.append(stage)
            for who, body in self.decision_for(stage, round_["version_id"]):
                r = await self.decide(who, document_id, **body)
                assert r.status_code == 201, (stage["label"], r.text)
        raise AssertionError("the route did not end")
