"""Alerts about a partner go to its owner (the partner manager responsible), else to the program's PM."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.journey_inputs import PmNotice
from activities.journeys import JourneyActivities
from db.models import EmailOutbox, Journey
from db.repositories import users
from db.session import SessionFactory, transaction
from db.views.journeys import journey_facts
from mail.notices import contact_unreachable
from mail.render import EmailRenderer
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.workflows.helpers import partner_ids
from wiring import make_sender, make_signer

AT = datetime(2026, 11, 19, 10, tzinfo=UTC)
pytestmark = pytest.mark.timeout(60)


async def _journeys(sessions: SessionFactory, cohort_id: str, pids: list[str]) -> list[str]:
    async with transaction(sessions) as session:
        for pid in pids:
            session.add(
                Journey(id=f"j-{pid}", cohort_id=cohort_id, partner_id=pid, stage="awareness", status="waiting",
                        started_at=AT, updated_at=AT)
            )  # fmt: skip
    return [f"j-{pid}" for pid in pids]


async def _sent(sessions: SessionFactory, kind: str) -> list[tuple[str, str]]:
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(EmailOutbox.journey_id, EmailOutbox.to_email)
            .where(EmailOutbox.kind == kind)
            .order_by(EmailOutbox.id)
        )
        return [(r[0] or "", r[1]) for r in rows]


async def test_an_escalation_goes_to_the_owner_and_falls_back_to_the_pm(sqlite_sessions: SessionFactory) -> None:
    sessions = sqlite_sessions
    settings = settings_for(sessions)
    cohort = await create_cohort(
        sessions, [partner("Owned Partner"), partner("Unowned Partner")], pm_email="pm@vendor.example"
    )
    owned, unowned = await partner_ids(sessions, cohort.id)
    j_owned, j_unowned = await _journeys(sessions, cohort.id, [owned, unowned])
    async with transaction(sessions) as session:
        await users.create(session, "Ann.Lee@vendor.example", "Ann Lee", "manager", [])
    async with api_client(settings, cast(Client, object())) as api:
        missing = await api.patch(f"/api/v1/partners/{owned}", json={"owner": "nobody@vendor.example"})
        assert missing.status_code == 404 and missing.json()["detail"] == {"owner": "nobody@vendor.example"}
        set_owner = await api.patch(f"/api/v1/partners/{owned}", json={"owner": "ann.lee@vendor.example"})
        assert set_owner.status_code == 200, set_owner.text
        assert set_owner.json()["owner"]["email"] == "ann.lee@vendor.example"

    acts = JourneyActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    env = ActivityEnvironment()

    def notice(journey: str, pid: str, stage: str) -> PmNotice:
        return PmNotice(journey_id=journey, cohort_id=cohort.id, partner_id=pid, kind="escalated", stage=stage,
                        step_key="s1", reason="overdue", occurred_at=AT)  # fmt: skip

    await env.run(acts.notify_pm, notice(j_owned, owned, "awareness"))
    await env.run(acts.notify_pm, notice(j_unowned, unowned, "awareness"))
    await env.run(acts.notify_pm, notice(j_owned, owned, "awareness"))  # a retry sends nothing more
    assert sorted(await _sent(sessions, "pm_escalated")) == sorted(
        [(j_owned, "ann.lee@vendor.example"), (j_unowned, "pm@vendor.example")]
    )
    # A bounce alert about the owned partner goes to the owner too.
    async with transaction(sessions) as session:
        facts = await journey_facts(session, j_owned)
        assert facts is not None
        await contact_unreachable(session, facts, email="alliances@owned-partner.example", contact_name="X",
                                  reason="bounce", step_key="s1", occurred_at=AT, provider="test",
                                  base_url="http://cosell.test")  # fmt: skip
    assert await _sent(sessions, "pm_alert") == [(j_owned, "ann.lee@vendor.example")]

    # Without an owner the PM hears again.
    async with api_client(settings, cast(Client, object())) as api:
        cleared = await api.patch(f"/api/v1/partners/{owned}", json={"owner": None})
        assert cleared.status_code == 200 and cleared.json()["owner"] is None
    await env.run(acts.notify_pm, notice(j_owned, owned, "activation"))
    assert sorted(await _sent(sessions, "pm_escalated")) == sorted(
        [(j_owned, "ann.lee@vendor.example"), (j_unowned, "pm@vendor.example"), (j_owned, "pm@vendor.example")]
    )


async def test_the_import_sets_the_owner_by_email_or_name(sqlite_sessions: SessionFactory) -> None:
    sessions = sqlite_sessions
    async with transaction(sessions) as session:
        await users.create(session, "ann.lee@vendor.example", "Ann Lee", "manager", [])
    body = (
        b"Partner Key,Company,Group,Partner Manager\n"
        b"k1,One,ISV,ann lee\nk2,Two,ISV,ANN.LEE@vendor.example\nk3,Three,ISV,\nk4,Four,ISV,Bob Nobody\n"
    )
    async with api_client(settings_for(sessions), cast(Client, object())) as api:
        refused = await api.post("/api/v1/partners/import", files={"file": ("p.csv", body, "text/csv")})
        assert refused.status_code == 422
        assert [(p["line"], p["column"]) for p in refused.json()["detail"]["problems"]] == [(5, "Partner Manager")]
        ok = await api.post("/api/v1/partners/import", files={"file": ("p.csv", body.rsplit(b"k4", 1)[0], "text/csv")})
        assert ok.json()["created"] == 3, ok.text
        listed = (await api.get("/api/v1/partners")).json()["partners"]
        owners = {p["name"]: p["owner_user_id"] for p in listed}
        assert owners["One"] == owners["Two"] is not None and owners["Three"] is None
