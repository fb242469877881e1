"""The account_upload step page over HTTP against a real journey (cosell-motion-21d) on the dev server:
upload -> preview with row problems -> confirm -> the overlap, and only the overlap -> delete."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.link_pages.pages import PRIVATE_HEADERS
from api.partner_pages.account_upload import pack
from db.cosell_models import AccountMatch, PartnerAccount
from db.session import SessionFactory, transaction
from domain.account_lists import ParsedAccount
from domain.links import StepClaims
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.intro_data import EXPECTED_OVERLAP, HUBSPOT_PARTNER_EXPORT, Crm, seed_crm
from tests.waiting import eventually
from tests.workflows.helpers import partner_ids, running_worker, start_journey, steps
from wiring import make_signer
from workflows.journey.messages import journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

pytestmark = pytest.mark.e2e
STEP = "account-list-upload"


@dataclass
class Upload:
    http: httpx.AsyncClient
    sessions: SessionFactory
    crm: Crm
    path: str
    jid: str
    partner_id: str
    temporal: Client


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]+)"', html))


async def invited(sessions: SessionFactory, jid: str, step: str) -> None:
    async def seen() -> bool:
        return step in await steps(sessions, jid)

    await eventually(seen, what=f"{step} invited on {jid}")


@pytest_asyncio.fixture
async def upload(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Upload]:
    settings = settings_for(sessions)
    cohort = await create_cohort(sessions, [partner("Alpha Analytics")], playbook_id="cosell-motion-21d")
    [pid] = await partner_ids(sessions, cohort.id)
    crm = await seed_crm(sessions)
    jid = journey_id(cohort.id, pid)
    async with running_worker(dev_env.client, settings, sessions):
        await start_journey(dev_env.client, settings, cohort, pid)
        await invited(sessions, jid, STEP)
        path = "/p/" + make_signer(settings).sign_step(StepClaims(journey_id=jid, step_key=STEP))
        async with api_client(settings, dev_env.client) as http:
            yield Upload(http, sessions, crm, path, jid, pid, dev_env.client)


async def counts(sessions: SessionFactory, partner_id: str) -> tuple[int, int]:
    async with transaction(sessions) as session:
        accounts = await session.scalar(select(func.count()).where(PartnerAccount.partner_id == partner_id))
        matches = await session.scalar(select(func.count()).where(AccountMatch.partner_id == partner_id))
        return int(accounts or 0), int(matches or 0)


async def preview(up: Upload, content: bytes, name: str = "hubspot-companies.csv") -> httpx.Response:
    page = await up.http.get(up.path)
    return await up.http.post(
        up.path,
        data={**hidden(page.text), "action": "preview"},
        files={"file": (name, content, "text/csv")},
    )


class TestUpload:
    async def test_preview_reports_problems_then_confirm_imports_and_shows_only_the_overlap(
        self, upload: Upload
    ) -> None:
        page = await upload.http.get(upload.path)
        assert page.status_code == 200 and 'type="file"' in page.text and "Check my list" in page.text
        assert 'enctype="multipart/form-data"' in page.text

        checked = await preview(upload, HUBSPOT_PARTNER_EXPORT.encode())
        assert checked.status_code == 200, checked.text
        assert "We read 4 accounts; 3 rows had problems:" in checked.text
        assert re.search(r"line 5, Company name: [^<]*formula", checked.text), checked.text
        assert "line 6: same account as line 2" in checked.text
        assert "line 7, Company Domain Name: not a domain or URL" in checked.text
        assert "Tailspin Toys" in checked.text  # the partner's own rows are shown back to the partner
        assert await counts(upload.sessions, upload.partner_id) == (0, 0)  # nothing imported by a preview

        confirmed = await upload.http.post(
            upload.path, data={**hidden(checked.text), "action": "confirm"}, follow_redirects=False
        )
        assert confirmed.status_code == 303 and confirmed.headers["location"] == "/p/done"
        done = await upload.http.get("/p/done")
        assert "your list of 4 accounts is in" in done.text and "Where we overlap: 3 accounts" in done.text
        shown = re.findall(r"<tr><td>([^<]+)</td><td>", done.text)
        assert shown == EXPECTED_OVERLAP
        assert "Dana Whitfield" in done.text and "Marcus Oyelaran" in done.text and "Enterprise" in done.text
        # Nothing of the vendor's that does not overlap, and not the partner's non-matching accounts.
        assert "Tailspin" not in done.text and "tailspinwind.com" not in done.text
        assert await counts(upload.sessions, upload.partner_id) == (4, 3)
        step = (await steps(upload.sessions, upload.jid))[STEP]
        assert step.status == "completed" and step.submission == {"accounts": 4, "overlapping": 3}
        # The overlap the upload created was told to the journey (what an `unlock: overlap` step waits for).
        handle = upload.temporal.get_workflow_handle(upload.jid)
        heard = (await handle.query(PartnerJourneyWorkflow.progress)).heard
        assert [h for h in heard if h.startswith(f"overlap_found/{upload.partner_id}@")], heard

        # The link still works after the step: the overlap, and the list can be deleted (matches go with it).
        again = await upload.http.get(upload.path)
        assert "Where we overlap: 3 of your 4 accounts" in again.text and "Delete my list" in again.text
        deleted = await upload.http.post(upload.path, data={**hidden(again.text), "action": "delete"})
        assert deleted.status_code == 200 and "Your list of 4 accounts is deleted" in deleted.text
        assert await counts(upload.sessions, upload.partner_id) == (0, 0)
        assert "Delete my list" not in deleted.text

    async def test_unusable_files_say_why_and_import_nothing(self, upload: Upload) -> None:
        empty = await preview(upload, b"")
        assert empty.status_code == 422 and "Choose a CSV file or paste your list" in empty.text
        latin1 = await preview(upload, "Company name,Website\nMüller Maschinenbau,mueller.de\n".encode("latin-1"))
        assert latin1.status_code == 422 and "hubspot-companies.csv: " in latin1.text and "line 2" in latin1.text
        no_columns = await preview(upload, b"Record ID,Lifecycle Stage\n9001,customer\n")
        assert no_columns.status_code == 422 and "Company name" in no_columns.text
        big = await preview(upload, b"Company name,Website\n" + b"Northwind Components,northwind.example\n" * 300_000)
        assert big.status_code == 422 and "the limit is 10 MB" in big.text
        assert await counts(upload.sessions, upload.partner_id) == (0, 0)
        assert (await steps(upload.sessions, upload.jid))[STEP].status == "invited"

    async def test_a_pasted_list_works_and_a_tampered_confirm_is_parsed_again(self, upload: Upload) -> None:
        page = await upload.http.get(upload.path)
        pasted = "Northwind Components, northwindcomponents.com\nhttps://www.contoso-pharma.com\n=cmd|' /C calc'!A0\n"
        checked = await upload.http.post(upload.path, data={**hidden(page.text), "action": "preview", "pasted": pasted})
        assert "We read 2 accounts; 1 row had problems:" in checked.text and "line 3" in checked.text
        form = hidden(checked.text)
        forged = await upload.http.post(upload.path, data={**form, "accounts": "not-a-list", "action": "confirm"})
        assert forged.status_code == 422 and "could not be read back" in forged.text
        assert await counts(upload.sessions, upload.partner_id) == (0, 0)
        ok = await upload.http.post(upload.path, data={**form, "action": "confirm"}, follow_redirects=True)
        assert ok.status_code == 200 and "Where we overlap: 2 accounts" in ok.text

    async def test_an_emptied_or_unreadable_confirmed_list_is_a_private_422_page(self, upload: Upload) -> None:
        form = hidden((await upload.http.get(upload.path)).text)
        empty_list = "eJyLjgUAARUAuQ=="  # zlib + base64 of "[]"
        huge_name = pack([ParsedAccount(2, "x" * (2 << 20), None)])  # past the CSV field limit when parsed again
        for packed in (empty_list, huge_name):
            answer = await upload.http.post(upload.path, data={**form, "accounts": packed, "action": "confirm"})
            assert answer.status_code == 422 and "could not be read back" in answer.text
            assert {k: answer.headers.get(k) for k in PRIVATE_HEADERS} == PRIVATE_HEADERS
        assert await counts(upload.sessions, upload.partner_id) == (0, 0)
