"""Fixtures of the onboarding tests: places to put schools (two districts of one region and one
of another), files written the way spreadsheets write them, callers, and a real SMTP server."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from api.domain.territories.models import TerritoryKind
from api.domain.territories.services import TerritoryService
from tests.onboarding.files import Places


@pytest.fixture(scope="session")
async def places(app: Any, db: Any) -> Places:
    async with db.session() as session, session.begin():
        territories = TerritoryService(session)
        karaganda = await territories.by_slug("karaganda")
        akmola = await territories.by_slug("akmola")
        made = {}
        for slug, parent, kk, ru, en in (
            ("onb-abay", karaganda, "Абай ауданы (сынақ)", "Абайский район (тест)", "Abay District (test)"),
            (
                "onb-osakarov",
                karaganda,
                "Осакаров ауданы (сынақ)",
                "Осакаровский район (тест)",
                "Osakarov District (test)",
            ),
            ("onb-burabay", akmola, "Бурабай ауданы (сынақ)", "Бурабайский район (тест)", "Burabay District (test)"),
        ):
            made[slug] = await territories.upsert(
                slug=slug, kind=TerritoryKind.DISTRICT, parent_id=parent.id, name_kk=kk, name_ru=ru, name_en=en
            )
    return Places(
        karaganda=karaganda.id,
        akmola=akmola.id,
        abay=made["onb-abay"],
        osakarov=made["onb-osakarov"],
        burabay=made["onb-burabay"],
    )


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    async def wait_for(self, address: str, timeout: float = 10.0) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if found:
                return found[0]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no mail to {address}")


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()
