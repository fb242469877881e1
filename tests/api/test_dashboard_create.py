"""Creating a cohort from the dashboard: the form offers the manager's programs, the confirmation says who
hears when, and the POST creates it through the API's service and launches (or schedules) its window."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import AuditLog, Cohort, Partner
from db.session import SessionFactory, transaction
from tests.dashboard_data import browser, csrf_of, dashboard_app, member_ids, sign_in, two_programs
from tests.factories import settings_for
from tests.waiting import eventually

PASTE = "Gamma Co,alliances@gamma.example\nDelta Co,team@delta.example,ISV\n"
EXPORTS = Path(__file__).parent.parent / "data" / "partners"


async def cohorts_named(sessions: SessionFactory, name: str) -> list[Cohort]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(Cohort).where(Cohort.name == name)))


def form(**extra: str) -> dict[str, str]:
    return {"program": "Program A", "name": "Spring", "playbook": "quickstart-14d@1", "partners": PASTE, **extra}


class TestCreateCohort:
    async def test_a_manager_creates_and_launches_a_cohort_now_or_scheduled(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        await two_programs(sqlite_sessions)
        async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app, browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            assert 'href="/cohorts/new"' in (await ann.get("/cohorts")).text
            blank = await ann.get("/cohorts/new")
            assert "<option>Program A</option>" in blank.text and "Program B" not in blank.text
            token = csrf_of(blank.text)

            shown = await ann.post("/cohorts/new/confirm", data={"csrf": token, **form()})
            assert shown.status_code == 200
            assert "Cohort Spring starts in Program A on playbook quickstart-14d version 1" in shown.text
            assert "2 partners will get their invite now" in shown.text
            assert await cohorts_named(sqlite_sessions, "Spring") == []  # the confirmation creates nothing
            done = await ann.post("/cohorts/new", data={"csrf": token, **form()})
            assert done.status_code == 303
            [spring] = await cohorts_named(sqlite_sessions, "Spring")
            assert done.headers["location"] == f"/cohorts/{spring.id}?done=created"
            assert len(await member_ids(sqlite_sessions, spring.id)) == 2
            handle = dev_env.client.get_workflow_handle(f"window/{spring.id}")

            async def launched() -> bool:
                return (await handle.describe()).status is not None

            await eventually(launched, what="the new cohort's window workflow started", within=30)
            await handle.terminate("test over")

            starts = (datetime.now(UTC) + timedelta(days=7)).replace(second=0, microsecond=0)
            upload = "name,email,type\nEpsilon Co,hi@epsilon.example,msp\n"
            later = form(name="Summer", partners="", starts_at=starts.strftime("%Y-%m-%dT%H:%M"))
            files = {"file": ("partners.csv", upload.encode(), "text/csv")}
            shown = await ann.post("/cohorts/new/confirm", data={"csrf": token, **later}, files=files)
            assert shown.status_code == 200, shown.text
            assert f"no one is emailed before {starts.strftime('%-d %b %Y %H:%M UTC')}" in shown.text
            assert "the 1 partners get their invite" in shown.text
            hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', shown.text))
            first = await ann.post("/cohorts/new", data=hidden)
            again = await ann.post("/cohorts/new", data=hidden)  # a double click creates one cohort
            assert first.status_code == again.status_code == 303
            assert again.headers["location"] == first.headers["location"]
            [summer] = await cohorts_named(sqlite_sessions, "Summer")
            assert summer.starts_at.replace(tzinfo=UTC) == starts
            await dev_env.client.get_workflow_handle(f"window/{summer.id}").terminate("test over")

        async with transaction(sqlite_sessions) as session:
            rows = await session.scalars(select(AuditLog).where(AuditLog.action == "cohort_created"))
            mine = [(r.actor, r.detail["partners"]) for r in rows if r.cohort_id in (spring.id, summer.id)]
        assert mine == [("user:ann@a.example", 2), ("user:ann@a.example", 1)]

    async def test_bad_lines_other_programs_forged_forms_and_visitors_are_refused(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        await two_programs(sqlite_sessions)
        async with (
            dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app,
            browser(app) as anon,
            browser(app) as ann,
            browser(app) as bob,
        ):
            assert (await anon.get("/cohorts/new")).headers["location"] == "/signin?next=/cohorts/new"
            out = await anon.post("/cohorts/new", data={"csrf": "x", **form()})
            assert out.status_code == 303 and out.headers["location"] == "/signin?next=/"

            await sign_in(ann, "ann@a.example")
            token = csrf_of((await ann.get("/cohorts/new")).text)
            bad = await ann.post("/cohorts/new/confirm", data={"csrf": token, **form(partners=PASTE + "Zeta,zeta")})
            assert bad.status_code == 422 and "partners: line 3: email" in bad.text
            past = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
            stale = await ann.post("/cohorts/new", data={"csrf": token, **form(starts_at=past)})
            assert stale.status_code == 422 and "starts_at: is more than" in stale.text
            unknown = await ann.post("/cohorts/new", data={"csrf": token, **form(playbook="nope@1")})
            assert unknown.status_code == 404 and "is not published" in unknown.text
            assert (await ann.post("/cohorts/new", data=form())).status_code == 403
            assert (await ann.post("/cohorts/new/confirm", data={"csrf": token + "x", **form()})).status_code == 403

            await sign_in(bob, "bob@b.example")
            token = csrf_of((await bob.get("/cohorts/new")).text)
            for path in ("/cohorts/new/confirm", "/cohorts/new"):
                foreign = await bob.post(path, data={"csrf": token, **form()})
                assert foreign.status_code == 422 and "program: choose one of your programs" in foreign.text
        assert await cohorts_named(sqlite_sessions, "Spring") == []


class TestPartnerExports:
    async def test_the_partner_imports_files_are_read_by_its_parser_with_problems_by_line_and_column(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        ids = await two_programs(sqlite_sessions)
        async with transaction(sqlite_sessions) as session:
            for pid, ext, tier in ((ids.partner_a, "alpha-ext", 1), (ids.partner_b, "beta-ext", 2)):
                found = await session.get(Partner, pid)
                assert found is not None
                found.external_id, found.tier = ext, tier
        async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app, browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            token = csrf_of((await ann.get("/cohorts/new")).text)

            async def upload(content: bytes, name: str = "Export") -> str:
                files = {"file": ("partners.csv", content, "text/csv")}
                shown = await ann.post("/cohorts/new/confirm", data={"csrf": token, **form(name=name)}, files=files)
                return f"{shown.status_code} {shown.text}"

            salesforce = await upload((EXPORTS / "salesforce_partner_accounts.csv").read_bytes())
            assert (
                salesforce.startswith("422")
                and ("partners: line 4, Primary Contact Email: a partner joining a cohort needs a contact email")
                in salesforce
            )
            bad = await upload((EXPORTS / "partners_bad_rows.csv").read_bytes())
            assert "line 3, Partner Type: not a partner type: &#39;Distributor&#39;" in bad
            assert "line 4, Account Name: no partner name" in bad
            stolen = await upload(b"Partner Key,Company,Email\nbeta-ext,Beta Builders,x@evil.example\n")
            assert "line 2, Partner Key: this partner is in programs you do not run" in stolen
            assert await cohorts_named(sqlite_sessions, "Export") == []

            rows = (
                EXPORTS / "partnerstack_partners.csv"
            ).read_text() + "alpha-ext,Alpha Analytics,a@alpha.example,,,,,\n"
            shown = await upload(rows.encode())
            assert shown.startswith("200") and "3 partners will get their invite now" in shown
            hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', shown))
            assert (await ann.post("/cohorts/new", data=hidden)).status_code == 303
        [export] = await cohorts_named(sqlite_sessions, "Export")
        await dev_env.client.get_workflow_handle(f"window/{export.id}").terminate("test over")
        async with transaction(sqlite_sessions) as session:
            members = {p.id: p for p in await session.scalars(select(Partner))}
            joined = [members[m] for m in await member_ids(sqlite_sessions, export.id)]
        assert sorted((p.external_id, p.type, p.tier) for p in joined) == [
            ("alpha-ext", "ISV", 1),  # known by its id: the file sets no type or tier, so it keeps its own
            ("part_7QmL2x", "ISV", 3),
            ("part_8RnM3y", "referral", 3),
        ]
