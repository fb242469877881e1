"""The ae_intro_request step page and the AE's answer page over HTTP, against real journeys
(cosell-motion-21d) and the AE's real batch workflow on the dev server."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.cosell_models import IntroRequest
from db.models import EmailOutbox, JourneyEvent
from db.session import SessionFactory, transaction
from domain.links import IntroClaims, LinkSigner, StepClaims
from tests.api.helpers import api_client
from tests.api.test_account_upload_page import hidden, invited
from tests.factories import create_cohort, partner, settings_for
from tests.intro_data import Crm, overlap, seed_crm
from tests.waiting import eventually
from tests.workflows.helpers import partner_ids, running_worker, start_journey, steps
from wiring import make_signer
from workflows.intro_batch.workflow import IntroBatchWorkflow
from workflows.journey.messages import StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

pytestmark = pytest.mark.e2e
STEP = "ae-intro-request"
WHY = (
    "Northwind is moving its plant-floor data to the cloud in Q3; we run their MES today and would bring "
    "our predictive-maintenance use case. Ask: 20 minutes to compare account plans."
)


@dataclass
class Intro:
    http: httpx.AsyncClient
    sessions: SessionFactory
    signer: LinkSigner
    crm: Crm
    paths: dict[str, str]  # partner name -> /p/<token> of its intro step
    jids: dict[str, str]
    env: WorkflowEnvironment


@pytest_asyncio.fixture
async def intro(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Intro]:
    settings = settings_for(sessions)
    names = ["Alpha Analytics", "Beta Builders"]
    cohort = await create_cohort(sessions, [partner(n) for n in names], playbook_id="cosell-motion-21d")
    pids = dict(zip(names, await partner_ids(sessions, cohort.id), strict=True))
    crm = await seed_crm(sessions)
    await overlap(sessions, crm, pids["Alpha Analytics"], "Northwind Components", "Contoso Pharmaceuticals")
    signer = make_signer(settings)
    jids = {n: journey_id(cohort.id, pid) for n, pid in pids.items()}
    async with running_worker(dev_env.client, settings, sessions):
        for name, pid in pids.items():
            await start_journey(dev_env.client, settings, cohort, pid)
            await invited(sessions, jids[name], "account-list-upload")
            upload = StepSubmission(step_key="account-list-upload", answers={"accounts": 30, "overlapping": 2})
            await dev_env.client.get_workflow_handle(jids[name]).execute_update(
                PartnerJourneyWorkflow.complete_step, upload
            )
            await invited(sessions, jids[name], STEP)
        paths = {n: "/p/" + signer.sign_step(StepClaims(journey_id=j, step_key=STEP)) for n, j in jids.items()}
        async with api_client(settings, dev_env.client) as http:
            yield Intro(http, sessions, signer, crm, paths, jids, dev_env)


async def rows(sessions: SessionFactory, model: type, *where: object) -> list:  # type: ignore[type-arg]
    async with transaction(sessions) as session:
        return list(await session.scalars(select(model).where(*where)))


async def until(fetch):  # type: ignore[no-untyped-def]
    return await eventually(fetch, what="the email to be queued")


async def requested(intro: Intro, *accounts: str) -> httpx.Response:
    page = await intro.http.get(intro.paths["Alpha Analytics"])
    ids = [intro.crm.account_ids[a] for a in accounts]
    return await intro.http.post(
        intro.paths["Alpha Analytics"], data={**hidden(page.text), "accounts": ids, "reason": WHY}
    )


class TestIntroStep:
    async def test_a_partner_without_overlap_is_told_how_to_get_one(self, intro: Intro) -> None:
        page = await intro.http.get(intro.paths["Beta Builders"])
        assert page.status_code == 200 and "You have no overlapping accounts yet" in page.text
        assert 'type="checkbox"' not in page.text
        link = re.search(r'href="(/p/[\w.-]+)">Upload your account list', page.text)
        assert link is not None
        upload = await intro.http.get(link.group(1))
        assert upload.status_code == 200 and "Check my list" in upload.text

    async def test_only_overlapping_accounts_can_be_requested_and_a_good_request_is_recorded(
        self, intro: Intro
    ) -> None:
        page = await intro.http.get(intro.paths["Alpha Analytics"])
        assert page.status_code == 200
        labels = re.findall(
            r'name="accounts" value="[^"]+"[^>]*> ([^<]+) <span class="muted">· ([^<]+)</span>', page.text
        )
        assert labels == [
            ("Contoso Pharmaceuticals", "Enterprise · Dana Whitfield"),
            ("Northwind Components", "Enterprise · Dana Whitfield"),
        ]
        assert "Tailspin" not in page.text and "Fabrikam" not in page.text

        foreign = await requested(intro, "Northwind Components", "Tailspin Wind Energy")
        assert (
            foreign.status_code == 422
            and "pick accounts from your overlap list (1 of those are not in it)" in foreign.text
        )
        short = await intro.http.post(
            intro.paths["Alpha Analytics"],
            data={**hidden(page.text), "accounts": [intro.crm.account_ids["Northwind Components"]], "reason": "Q3"},
        )
        assert short.status_code == 422 and "needs at least 40 characters (you wrote 2)" in short.text
        assert "checked" in short.text  # the choice is kept
        assert await rows(intro.sessions, IntroRequest) == []
        assert (await steps(intro.sessions, intro.jids["Alpha Analytics"]))[STEP].status == "invited"

        sent = await requested(intro, "Northwind Components", "Contoso Pharmaceuticals")
        assert sent.status_code == 303 and sent.headers["location"] == "/p/done"
        done = await intro.http.get("/p/done")
        assert "your intro request is on its way" in done.text and "Northwind Components" in done.text
        made = await rows(intro.sessions, IntroRequest)
        assert sorted(r.vendor_account_id for r in made) == sorted(
            intro.crm.account_ids[a] for a in ("Northwind Components", "Contoso Pharmaceuticals")
        )
        assert {(r.ae_id, r.reason, r.status) for r in made} == {(intro.crm.ae_ids["dana"], WHY, "pending")}
        again = await intro.http.get(intro.paths["Alpha Analytics"])
        assert "Your intro request is already sent" in again.text and "Goes out in today" in again.text


class TestAeAnswer:
    async def test_the_ae_answers_from_the_digest_link_once_and_the_partner_hears(self, intro: Intro) -> None:
        assert (await requested(intro, "Northwind Components")).status_code == 303
        [request] = await rows(intro.sessions, IntroRequest)
        assert request.batch_id
        await intro.env.client.get_workflow_handle(request.batch_id).signal(IntroBatchWorkflow.send_now)
        [digest] = await until(lambda: rows(intro.sessions, EmailOutbox, EmailOutbox.kind == "intro_digest"))
        assert digest.to_email == "dana.whitfield@vendor.example" and WHY in digest.text
        accept = html.unescape(re.search(r'href="([^"]+/ae/intro/[^"]+\?answer=accept)"', digest.html).group(1))  # type: ignore[union-attr]
        path = accept.split("://", 1)[1].split("/", 1)[1]
        path = "/" + path

        for _ in range(2):  # a scanner's prefetch and the AE's own click: a GET records nothing
            shown = await intro.http.get(path)
        assert (
            shown.status_code == 200
            and "Alpha Analytics asks for an introduction at Northwind Components" in shown.text
        )
        assert 'value="accept" checked' in shown.text and WHY in shown.text
        seller = re.search(r"https?://[^/\s]+(/ae/seller/[\w.-]+)", digest.text)
        assert seller is not None and 'href="/ae/seller/' in shown.text  # when to bring Alpha in, from both
        during_the_call = await intro.http.get(seller.group(1))
        assert during_the_call.status_code == 200 and "Alpha Analytics at Northwind Components" in during_the_call.text
        assert shown.headers["referrer-policy"] == "no-referrer" and "Path=/ae/intro" in shown.headers["set-cookie"]
        assert (await rows(intro.sessions, IntroRequest))[0].status == "sent"

        marcus = intro.signer.sign_intro(IntroClaims(request_id=request.id, ae_id=intro.crm.ae_ids["marcus"]))
        token = path.split("/")[-1].split("?")[0]
        tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        for bad in (f"/ae/intro/{marcus}", f"/ae/intro/{tampered}", "/ae/intro/garbage"):
            assert (await intro.http.get(bad)).status_code == 404
        form = {**hidden(shown.text), "answer": "accept", "note": "Happy to help: I'm meeting their CIO on the 14th."}
        forged = await intro.http.post(path, data={**form, "csrf": "forged"})
        assert forged.status_code == 403
        cross = await intro.http.post(path, data=form, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403

        answered = await intro.http.post(path, data=form)
        assert answered.status_code == 303 and answered.headers["location"] == "/ae/intro/done"
        thanks = await intro.http.get("/ae/intro/done")
        assert "your answer is recorded" in thanks.text and "Accepted" in thanks.text
        twice = await intro.http.post(path, data={**form, "answer": "decline"})
        assert (
            twice.status_code == 409 and "You already answered this request" in twice.text and "Accepted" in twice.text
        )
        [request] = await rows(intro.sessions, IntroRequest)
        assert (request.status, request.answer_note) == ("accepted", form["note"])
        [told] = await until(lambda: rows(intro.sessions, EmailOutbox, EmailOutbox.kind == "intro_answered"))
        assert told.subject == "Dana Whitfield accepted your intro request for Northwind Components"
        assert told.to_email == "alliances@alpha-analytics.example"
        events = await rows(intro.sessions, JourneyEvent, JourneyEvent.kind == "intro_accepted")
        assert [e.journey_id for e in events] == [intro.jids["Alpha Analytics"]]
