"""The Imports page: an AE, vendor-account or CRM opportunity export runs the API's own import and shows what
it did, or every problem by line and column with nothing written (a bad line after the first written chunk
too); signed out, another manager's program and a forged CSRF token are refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from api.dashboard.access import DASHBOARD_HEADERS
from db.cosell_models import AccountExecutive, Deal
from db.models import AuditLog
from db.session import SessionFactory, transaction
from tests.dashboard_data import browser, csrf_of, dashboard_app, sign_in, two_programs
from tests.e2e.cosell_pages import text_of
from tests.factories import settings_for

pytestmark = pytest.mark.timeout(90)
CRM = Path(__file__).parent.parent / "data" / "crm"
HEADER = '"Full Name","Email"\n'
OPPORTUNITY = (
    '"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Close Date","Opportunity ID",'
    '"Account ID","Primary Partner"\n'
    '"","Initech","Initech - Reporting","Prospecting","50000","3/31/2027","0065g00000ZzZz01AAF","","Alpha Analytics"\n'
)


async def count(sessions: SessionFactory, model: type) -> int:
    async with transaction(sessions) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def upload(client: httpx.AsyncClient, kind: str, name: str, content: bytes, **form: str) -> httpx.Response:
    token = csrf_of((await client.get("/imports")).text)
    files = {"file": (name, content, "text/csv")}
    return await client.post(f"/imports/{kind}", files=files, data={"csrf": token, **form})


async def test_imports_show_what_they_did_or_every_problem_and_keep_nothing_of_a_bad_file(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    await two_programs(sqlite_sessions)
    users = (CRM / "salesforce_users.csv").read_bytes()
    async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app:
        async with browser(app) as anon:
            assert (await anon.get("/imports")).status_code == 303
            refused = await anon.post("/imports/account-executives", files={"file": ("a.csv", users, "text/csv")})
            assert refused.status_code == 303 and refused.headers["location"] == "/signin?next=/"
            assert refused.headers["cache-control"] == DASHBOARD_HEADERS["Cache-Control"]
        async with browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            page = (await ann.get("/imports")).text
            assert 'action="/imports/deals"' in page and "Program A" in page and "Program B" not in page
            forged = await ann.post(
                "/imports/account-executives", files={"file": ("u.csv", users, "text/csv")}, data={"csrf": "forged"}
            )
            assert forged.status_code == 403 and await count(sqlite_sessions, AccountExecutive) == 0

            first = await upload(ann, "account-executives", "users.csv", users)
            assert first.status_code == 200, first.text
            assert "Account executives imported" in first.text and "3 created, 0 updated, 0 unchanged" in first.text
            assert await count(sqlite_sessions, AccountExecutive) == 3
            again = text_of((await upload(ann, "account-executives", "users.csv", users)).text)
            assert "0 created, 0 updated, 3 unchanged" in again

            # 1,001 good rows are written in a first chunk before line 1,003 is read: the page keeps none of it.
            good = "".join(f'"AE {n}","ae{n}@vendor.example"\n' for n in range(1001))
            big = (HEADER + good + '"No Mail","not-an-email"\n').encode()
            bad = await upload(ann, "account-executives", "big.csv", big)
            assert bad.status_code == 422
            text = text_of(bad.text)
            assert "nothing was imported" in text and "1 problem" in text
            assert "1003 Email not an email address: 'not-an-email'" in text
            assert await count(sqlite_sessions, AccountExecutive) == 3

            accounts = await upload(
                ann, "vendor-accounts", "accounts.csv", (CRM / "salesforce_accounts.csv").read_bytes(),
                format="salesforce",
            )  # fmt: skip
            assert accounts.status_code == 200 and "10 created" in text_of(accounts.text)

            opportunity = await upload(ann, "deals", "opps.csv", OPPORTUNITY.encode(), program="Program A")
            assert opportunity.status_code == 200, text_of(opportunity.text)
            assert "1 created" in text_of(opportunity.text)
            bad_rows = (CRM / "opportunities_bad_rows.csv").read_bytes()
            rows = await upload(ann, "deals", "bad.csv", bad_rows, program="Program A")
            assert rows.status_code == 422
            assert "row(s) of bad.csv have problems; nothing was imported" in text_of(rows.text)
            assert "3 Stage unknown stage 'Verbal Commit'" in text_of(rows.text)
            assert await count(sqlite_sessions, Deal) == 1
            elsewhere = await upload(ann, "deals", "opps.csv", OPPORTUNITY.encode(), program="Program B")
            assert elsewhere.status_code == 404
            no_file = await ann.post("/imports/deals", data={"csrf": csrf_of(page), "program": "Program A"})
            assert no_file.status_code == 422 and "choose the CSV file" in no_file.text
    async with transaction(sqlite_sessions) as session:
        actors = set(await session.scalars(select(AuditLog.actor).where(AuditLog.action.like("%import%"))))
    assert actors == {"user:ann@a.example"}
