"""Regional admins import for their region only; administrators named in the file are invited
through the invitation service, by real e-mail, once."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
from sqlalchemy import func, select, update

from api.access import Grant
from api.domain.onboarding import runs, services
from api.domain.onboarding.models import ImportRow
from api.domain.organisations.models import Organisation
from api.identity.models import IdentityAuditEntry, Invitation
from api.identity.tokens import ApiToken, authenticate_token
from tests.identity.access.principals import bearer, token_secret
from tests.onboarding.conftest import Mailbox
from tests.onboarding.files import ORG_HEADER_RU, Places, csv_bytes, new_bin, school
from tests.onboarding.helpers import checked, rows, run_to_end


async def test_a_regional_admin_imports_for_their_region_only(
    app: Any, db: Any, client: httpx.AsyncClient, places: Places
) -> None:
    karaganda = bearer(await token_secret(db, Grant("regional_admin", territory_id=places.karaganda), name="karaganda"))
    akmola = bearer(await token_secret(db, Grant("regional_admin", territory_id=places.akmola), name="akmola"))
    methodist = bearer(
        await token_secret(db, Grant("regional_methodist", territory_id=places.karaganda), name="methodist")
    )
    elsewhere = new_bin()
    created = await client.post(
        "/api/organisations",
        json={
            "kind": "school",
            "territory_id": str(places.burabay),
            "bin": elsewhere,
            "name_kk": "Мектеп",
            "name_ru": "Школа",
            "levels": ["primary"],
        },
    )
    assert created.status_code == 202
    mine = [new_bin(), new_bin()]
    content = csv_bytes(
        ORG_HEADER_RU,
        [
            school(mine[0], "onb-abay"),
            school(mine[1], "onb-osakarov"),
            school(new_bin(), "onb-burabay"),  # 4: a district of another region
            school(elsewhere, "onb-abay"),  # 5: registered in another region
        ],
    )
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=karaganda) as regional:
        report = await checked(regional, content, "region.csv")
        assert (report["valid"], report["invalid"]) == (2, 2)
        bad = {r["line"]: r["issues"] for r in await rows(regional, report["id"], "invalid")}
        assert "outside your region" in bad[4][0]["message"] and bad[4][0]["column"] == "territory"
        assert "outside your region" in bad[5][0]["message"] and bad[5][0]["column"] == "bin"
        done = await run_to_end(regional, report["id"])
        assert (done["done"], done["failed"]) == (2, 0)
    # Another region's admin, and a methodist, do not see it; nor may a methodist upload.
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=akmola) as other:
        assert (await other.get(f"/api/imports/{report['id']}")).status_code == 404
        assert (await other.get(f"/api/imports/{report['id']}/report")).status_code == 404
        assert (await other.post(f"/api/imports/{report['id']}/start")).status_code == 404
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=methodist) as reader:
        assert (await reader.get(f"/api/imports/{report['id']}")).status_code == 404
        refused = await reader.post("/api/imports/organisations", files={"file": ("a.csv", content, "text/csv")})
        assert refused.status_code == 403
    # A national admin sees every import.
    assert (await client.get(f"/api/imports/{report['id']}")).status_code == 200


async def test_administrators_named_in_the_file_are_invited_once(
    db: Any, settings: Any, places: Places, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    mailing = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port)
    bins = [new_bin(), new_bin()]
    emails = [f"director.{bins[0]}@school.kz", f"director.{bins[1]}@school.kz"]
    content = csv_bytes(ORG_HEADER_RU, [school(bins[0], email=emails[0].upper()), school(bins[1], email=emails[1])])
    for round_ in (1, 2):
        async with db.session() as session, session.begin():
            job = await services.check_organisations(session, mailing, None, content, "invite.csv")
            await services.start(session, job)
        assert await runs.run_job(db, mailing, job.id) == "done"
        async with db.session() as session:
            progress = await services.progress(session, job.id)
        assert progress.invited == 2 and progress.done == 2
        if round_ == 1:
            for email in emails:
                message = await box.wait_for(email)
                assert "/sign-in?invitation=" in message.get_payload(decode=True).decode()
    async with db.session() as session:
        invitations = list(
            (
                await session.scalars(
                    select(Invitation)
                    .join(Organisation, Organisation.id == Invitation.organisation_id)
                    .where(Organisation.bin.in_(bins))
                )
            ).all()
        )
        audited = await session.scalar(
            select(func.count())
            .select_from(IdentityAuditEntry)
            .where(
                IdentityAuditEntry.action == "invitation.create",
                IdentityAuditEntry.entity_id.in_([str(i.id) for i in invitations]),
            )
        )
    # One invitation each, for the organisation's administrator, mailed; the second import invited nobody again.
    assert sorted(i.email for i in invitations) == sorted(emails)
    assert {i.role for i in invitations} == {"organisation_admin"}
    assert all(i.mail_sent_at is not None and i.mail_error is None for i in invitations)
    assert sum(len(box.to(e)) for e in emails) == 2
    assert audited == 2


async def test_rows_its_uploader_no_longer_reaches_are_not_imported(db: Any, settings: Any, places: Places) -> None:
    """Reach is checked again when the import runs: a token revoked between the dry run and the run
    imports nothing; a command-line run of the same rows (no uploader) imports them."""
    secret = await token_secret(db, Grant("regional_admin", territory_id=places.karaganda), name="revoked later")
    bins = [new_bin(), new_bin()]
    content = csv_bytes(ORG_HEADER_RU, [school(bins[0], "onb-abay"), school(bins[1], "onb-osakarov")])
    async with db.session() as session:
        uploader = await authenticate_token(session, secret)  # commits its last use
    async with db.session() as session, session.begin():
        job = await services.check_organisations(session, settings, uploader, content, "later.csv")
        assert (job.total, job.invalid) == (2, 0)
        await services.start(session, job)
        await session.execute(
            update(ApiToken).where(ApiToken.id == uploader.credential_id).values(revoked_at=func.now())
        )
    assert await runs.run_job(db, settings, job.id) == "done"
    async with db.session() as session:
        progress = await services.progress(session, job.id)
        failed = list((await session.scalars(select(ImportRow).where(ImportRow.job_id == job.id))).all())
        registered = await session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.bin.in_(bins))
        )
    assert (progress.done, progress.failed, registered) == (0, 2, 0)
    assert all(
        "outside your region" in r.issues[-1]["message"] and r.issues[-1]["column"] == "territory" for r in failed
    )
