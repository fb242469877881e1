"""The whole co-sell motion over real HTTP, as its people do it (issues #5 and #6 together), on the
real dev server, a real worker and the API served by uvicorn:

PM imports AEs and CRM accounts (Salesforce exports) -> launches a cosell-motion-21d cohort -> the
partner uploads its account list from the invite and sees the overlap -> asks the owner AE for an
introduction -> the AE's digest -> the AE accepts -> the partner hears -> the partner registers the deal
on the generic step page -> the PM accepts it and closes it won -> the AE is asked for feedback once and
answers -> trust, metrics, the journey timeline and the cohort progress all tell the same story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from db.cosell_models import IntroRequest
from db.deal_notice_models import AeDealNotice
from db.models import EmailOutbox, JourneyEvent
from db.session import SessionFactory, transaction
from tests.api.helpers import PM
from tests.e2e.cosell_pages import Inbox, browser, checkbox_for, submit, table_rows, text_of
from tests.e2e.test_walking_skeleton import form_fields, free_port, serving, until
from tests.factories import cohort_body, partner, settings_for
from tests.workflows.helpers import events, running_worker
from workflows.intro_batch.workflow import IntroBatchWorkflow
from workflows.journey.messages import journey_id

pytestmark = pytest.mark.e2e
CRM = Path(__file__).parents[1] / "data" / "crm"
PARTNER = "Lakeshore Data Partners"
CONTACT = "alliances@lakeshore-data-partners.example"
DANA = "dana.whitfield@vendor.example"
# partner_accounts.csv against salesforce_accounts.csv: what the partner should see, and nothing else.
# (vendor account, segment, owner AE, matched on); Northwind/Northwood, Acme Analytics/Acme Logistics,
# Bluebird (a gmail address) and Tailspin (.co.uk vs .com) must not match.
OVERLAP = [
    ("Acme, Inc.", "Enterprise", "Dana Whitfield", "website"),
    ("Contoso Pharmaceuticals", "Enterprise", "Marcus Oyelaran", "company name"),
    ("Fabrikam, Inc.", "Mid-Market", "Priya Raman", "website"),
    ("Globex Corporation", "SMB", "Priya Raman", "company name"),
    ("Münchener Stahlbau GmbH", "Mid-Market", "Marcus Oyelaran", "website"),
]
WHY = (
    "Acme is consolidating its plant-floor analytics on one platform before their Q3 budget freeze; we run "
    "their quality dashboards today. Ask: 20 minutes with Dana to compare account plans."
)
DEAL_FORM = {
    "account_name": "Acme, Inc.",
    "account_domain": "https://www.acme.com",
    "ae_email": "",
    "amount": "240,000",
    "currency": "",
    "expected_close": "2027-03-31",
    "partner_role": "sourced",
    "description": "Plant-floor quality analytics on the vendor's platform, replacing three on-site tools.",
}
FEEDBACK = {
    "contribution": "sourced",
    "role_clarity": "5",
    "responsiveness": "4",
    "invite_again": "yes",
    "comment": "They found the project and ran the technical evaluation with the plant team.",
}


def _file(name: str) -> dict[str, Any]:
    return {"file": (name, (CRM / name).read_bytes(), "text/csv")}


def _overlap_shown(page: str) -> list[tuple[str, ...]]:
    # "company name (93%)": the exact fuzzy confidence is the matcher's business; that it was by name is ours.
    return [(name, segment, ae, re.sub(r" \(\d+%\)$", "", how)) for name, segment, ae, how in table_rows(page)]


async def _intro_requests(sessions: SessionFactory) -> list[IntroRequest]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(IntroRequest)))


async def _outbox(sessions: SessionFactory, kind: str) -> list[EmailOutbox]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(EmailOutbox).where(EmailOutbox.kind == kind)))


@dataclass
class Motion:
    """Who takes part and where they stand; each phase below is one paragraph of the story above."""

    env: WorkflowEnvironment
    sessions: SessionFactory
    pm: httpx.AsyncClient
    inbox: Inbox
    partner: httpx.AsyncClient
    ae: httpx.AsyncClient
    cohort_id: str = ""
    pid: str = ""
    jid: str = ""


async def test_the_whole_cosell_motion_over_http(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
    port = free_port()
    settings = settings_for(sessions, api_port=port, public_base_url=f"http://127.0.0.1:{port}")
    async with (
        running_worker(dev_env.client, settings, sessions),
        serving(settings, dev_env) as base,
        httpx.AsyncClient(base_url=base, headers=PM, timeout=30) as pm,
        browser(base) as partner_browser,
        browser(base) as ae_browser,
    ):
        motion = Motion(dev_env, sessions, pm, Inbox(pm), partner_browser, ae_browser)
        await _pm_imports_the_field(pm)
        await _pm_launches_a_cohort(motion)
        await _partner_uploads_its_accounts(motion)
        acme, request = await _partner_asks_for_an_intro_and_the_ae_accepts(motion)
        deal = await _partner_registers_the_deal(motion, acme)
        await _the_owner_ae_hears_of_it(motion, deal)
        await _pm_closes_it_won_and_the_ae_gives_feedback(motion, deal)
        await _trust_tells_the_story(motion, deal, request)
        await _metrics_tell_the_story(motion, deal)
        _timeline_tells_the_story(await events(sessions, motion.jid), deal)
        await _progress_tells_the_story(motion)
        # Nothing asked twice: one feedback email for a deal closed (and closed again).
        assert [m.status for m in await _outbox(sessions, "feedback_request")] == ["sent"]
        assert len((await pm.get("/api/v1/deals", params={"partner": motion.pid})).json()["deals"]) == 1


async def _pm_imports_the_field(pm: httpx.AsyncClient) -> None:
    """1. The PM imports the field: AEs, then the CRM accounts they own."""
    aes = await pm.post("/api/v1/account-executives/import", files=_file("salesforce_users.csv"))
    assert aes.status_code == 200, aes.text
    assert (aes.json()["created"], aes.json()["rows"]) == (3, 3)
    accounts = await pm.post("/api/v1/vendor-accounts/import?format=salesforce", files=_file("salesforce_accounts.csv"))
    assert accounts.status_code == 200, accounts.text
    assert (accounts.json()["source"], accounts.json()["created"]) == ("salesforce", 10)


async def _pm_launches_a_cohort(m: Motion) -> None:
    """2. The PM launches a co-sell cohort with one partner."""
    created = await m.pm.post(
        "/api/v1/cohorts", json=cohort_body([partner(PARTNER, "ISV")], playbook_id="cosell-motion-21d")
    )
    assert created.status_code == 201, created.text
    m.cohort_id = created.json()["id"]
    progress = (await m.pm.get(f"/api/v1/cohorts/{m.cohort_id}/progress")).json()
    [m.pid] = [p["partner_id"] for p in progress["partners"]]
    m.jid = journey_id(m.cohort_id, m.pid)


async def _partner_uploads_its_accounts(m: Motion) -> None:
    """3. The partner: the invite -> upload the CSV -> check -> confirm -> exactly the overlap."""
    invite = await m.inbox.one("step_invite", CONTACT, "Share your account list so we can map overlap with our field")
    [upload_link] = invite["links"]
    checked = await submit(
        m.partner,
        upload_link,
        {"action": "preview"},
        files={"file": ("accounts-export.csv", (CRM / "partner_accounts.csv").read_bytes(), "text/csv")},
    )
    assert checked.status_code == 200, checked.text
    assert "We read 9 accounts; 2 rows had problems:" in text_of(checked.text)
    assert "Confirm 9 accounts" in checked.text
    done = await m.partner.post(upload_link, data={**form_fields(checked.text), "action": "confirm"})
    assert done.status_code == 200 and done.url.path == "/p/done", done.text
    assert [r.status_code for r in done.history] == [303]  # to a page whose address holds no token
    shown = text_of(done.text)
    assert "your list of 9 accounts is in" in shown and "Where we overlap: 5 accounts" in shown
    assert _overlap_shown(done.text) == OVERLAP
    for private in ("Northwood", "Northwind", "Acme Logistics", "Acme Analytics", "Bluebird", "Tailspin"):
        assert private not in shown


async def _partner_asks_for_an_intro_and_the_ae_accepts(m: Motion) -> tuple[str, IntroRequest]:
    """4. The partner asks Dana for an introduction at Acme; the AE's digest; the AE accepts; the partner hears."""
    invite = await m.inbox.one("step_invite", CONTACT, "Ask for an AE introduction where you already overlap")
    [intro_link] = invite["links"]
    intro_page = await m.partner.get(intro_link)
    assert intro_page.status_code == 200
    acme = checkbox_for(intro_page.text, "accounts", "Acme, Inc.")
    sent = await submit(m.partner, intro_link, {"accounts": [acme], "reason": WHY})
    assert sent.status_code == 200 and sent.url.path == "/p/done", sent.text
    assert "your intro request is on its way" in text_of(sent.text) and "Acme, Inc." in sent.text

    async def batched() -> list[IntroRequest]:
        return [r for r in await _intro_requests(m.sessions) if r.batch_id]

    [request] = await until(batched)
    assert (request.vendor_account_id, request.status, request.reason) == (acme, "pending", WHY)
    # Today's digest now rather than at 16:00 UTC.
    await m.env.client.get_workflow_handle(request.batch_id).signal(IntroBatchWorkflow.send_now)
    digest = await m.inbox.one("intro_digest", DANA, f"1 co-sell intro request from {PARTNER}")
    accept = next(link for link in digest["links"] if link.endswith("?answer=accept"))
    answer_page = await m.ae.get(accept)
    assert answer_page.status_code == 200
    assert f"{PARTNER} asks for an introduction at Acme, Inc." in text_of(answer_page.text)
    assert WHY in text_of(answer_page.text)  # the AE reads exactly what the partner wrote
    assert [r.status for r in await _intro_requests(m.sessions)] == ["sent"]  # opening the link did nothing
    answered = await submit(m.ae, accept, {"answer": "accept", "note": "Their plant CIO is on my call list."})
    assert answered.status_code == 200 and answered.url.path == "/ae/intro/done", answered.text
    assert [r.status_code for r in answered.history] == [303]
    assert "your answer is recorded" in text_of(answered.text)
    await m.inbox.one("intro_answered", CONTACT, "Dana Whitfield accepted your intro request for Acme, Inc.")
    [heard] = await _outbox(m.sessions, "intro_answered")
    assert '"Their plant CIO is on my call list."' in heard.text and DANA in heard.text  # whom to call
    [request] = await _intro_requests(m.sessions)
    assert (request.status, request.answer_note) == ("accepted", "Their plant CIO is on my call list.")
    return acme, request


async def _partner_registers_the_deal(m: Motion, acme: str) -> dict[str, Any]:
    """5. The partner registers the deal on the generic step page, with the playbook's fields."""
    invite = await m.inbox.one("step_invite", CONTACT, "Register your first qualified co-sell opportunity")
    [deal_link] = invite["links"]
    deal_form = await m.partner.get(deal_link)
    assert deal_form.status_code == 200
    for label in ("Customer account name", "Estimated deal amount", "Expected close date", "Your role in this deal"):
        assert label in deal_form.text
    hidden = form_fields(deal_form.text)
    registered = await m.partner.post(deal_link, data={**hidden, **DEAL_FORM})
    assert registered.status_code == 200 and registered.url.path == "/p/done", registered.text
    assert "Register your first qualified co-sell opportunity” is complete" in text_of(registered.text)
    # Back button, change the amount, submit again: already done, nothing registered twice.
    twice = await m.partner.post(deal_link, data={**hidden, **DEAL_FORM, "amount": "990,000"})
    assert twice.status_code == 409 and "already completed" in text_of(twice.text), twice.text

    async def the_deal() -> list[dict[str, Any]]:
        return (await m.pm.get("/api/v1/deals", params={"partner": m.pid})).json()["deals"]

    [deal] = await until(the_deal)

    async def journey_over() -> dict[str, Any] | None:
        progress = (await m.pm.get(f"/api/v1/cohorts/{m.cohort_id}/progress")).json()
        return progress if progress["partners"][0]["status"] == "completed" else None

    await until(journey_over)  # registering the deal was the journey's last step
    overlap = (await m.pm.get(f"/api/v1/partners/{m.pid}/overlap")).json()["accounts"]
    acme_account = next(a for a in overlap if a["account_name"] == "Acme, Inc.")
    assert acme_account["vendor_account_id"] == acme
    assert {k: deal[k] for k in ("vendor_account_id", "ae_id", "ae_email", "stage", "source")} == {
        "vendor_account_id": acme,
        "ae_id": acme_account["owner_ae_id"],
        "ae_email": DANA,
        "stage": "registered",
        "source": "partner",
    }
    assert (deal["amount"], deal["currency"], deal["partner_role"], deal["cohort_id"], deal["journey_id"]) == (
        240_000,
        "USD",
        "sourced",
        m.cohort_id,
        m.jid,
    )
    return deal


async def _the_owner_ae_hears_of_it(m: Motion, deal: dict[str, Any]) -> None:
    """5b. Dana owns Acme: the registration reaches her in a digest (the day's intro batch was answered and
    closed, so a later one: sent now), with a link to her overlap with the partner."""

    async def digest_sent() -> bool:
        async with transaction(m.sessions) as session:
            notice = await session.get(AeDealNotice, deal["id"])
        assert notice is not None and notice.batch_id
        if notice.status == "pending":
            try:
                await m.env.client.get_workflow_handle(notice.batch_id).signal(IntroBatchWorkflow.send_now)
            except RPCError as exc:  # the batch it names had just closed: the news is moving to the next one
                raise AssertionError(f"{notice.batch_id} closed") from exc
        return True

    await until(digest_sent)
    news = await m.inbox.one("ae_deal_registrations", DANA, f"1 deal registration on your accounts from {PARTNER}")
    page = await m.ae.get(next(link for link in news["links"] if "/ae/deal/" in link))
    assert page.status_code == 200 and CONTACT in page.text and "Acme, Inc. (this deal)" in page.text


async def _pm_closes_it_won_and_the_ae_gives_feedback(m: Motion, deal: dict[str, Any]) -> None:
    """6. The PM accepts it, then closes it won: the AE is asked for feedback, once."""
    accepted = await m.pm.patch(f"/api/v1/deals/{deal['id']}", json={"stage": "accepted"})
    assert accepted.status_code == 200 and accepted.json()["stage"] == "accepted", accepted.text
    won = await m.pm.patch(f"/api/v1/deals/{deal['id']}", json={"stage": "closed_won", "reason": "PO signed"})
    assert won.status_code == 200, won.text
    assert (won.json()["stage"], won.json()["feedback_requested"]) == ("closed_won", True)
    again = await m.pm.patch(f"/api/v1/deals/{deal['id']}", json={"stage": "closed_won"})
    assert again.status_code == 200 and again.json()["feedback_requested"] is False, again.text
    reversed_ = await m.pm.patch(f"/api/v1/deals/{deal['id']}", json={"stage": "closed_lost"})
    assert reversed_.status_code == 409, reversed_.text  # a closed deal is final
    ask = await m.inbox.one("feedback_request", DANA, f"How did {PARTNER} do on Acme, Inc.?")
    [feedback_link] = ask["links"]
    form = await m.ae.get(feedback_link)
    assert form.status_code == 200 and f"How did {PARTNER} do?" in text_of(form.text)
    assert "Outcome Closed won" in text_of(form.text) and "Amount USD 240,000" in text_of(form.text)
    thanks = await submit(m.ae, feedback_link, FEEDBACK)
    assert thanks.status_code == 200 and thanks.url.path == "/ae/feedback/done", thanks.text
    assert f"your feedback on {PARTNER} is recorded" in text_of(thanks.text)
    assert "Update my feedback" in (await m.ae.get(feedback_link)).text  # the link now revises
    counted = (await m.pm.get(f"/api/v1/deals/{deal['id']}")).json()["attribution"]
    assert (counted["attribution"], counted["said_by"], counted["actor"]) == ("sourced", "ae", DANA)


async def _trust_tells_the_story(m: Motion, deal: dict[str, Any], request: IntroRequest) -> None:
    """7. Everywhere a person would look: the partner's trust score and what it is made of."""

    async def trusted() -> dict[str, Any] | None:
        view = (await m.pm.get(f"/api/v1/partners/{m.pid}/trust")).json()
        return view if view["trust_score"] is not None else None

    trust = await until(trusted)
    sources = {s["source"]: s for s in trust["explanation"]}
    assert set(sources) == {"baseline", "ae_feedback", "intro_requests"}
    feedback_signal, intro_signal = sources["ae_feedback"], sources["intro_requests"]
    assert (feedback_signal["deal_id"], feedback_signal["ae_name"]) == (deal["id"], "Dana Whitfield")
    assert feedback_signal["detail"] == (
        "Dana Whitfield on Acme, Inc.: would invite again, sourced, role clarity 5/5, responsiveness 4/5"
    )
    assert (intro_signal["status"], intro_signal["intro_ids"]) == ("accepted", [request.id])
    assert trust["trust_score"] == round(sum(s["points"] for s in trust["explanation"])) == 96
    [given] = trust["feedback"]
    assert (given["deal_id"], given["outcome"], given["status"]) == (deal["id"], "won", "submitted")
    assert given["answers"] | {"comment": ""} == {
        "contribution": "sourced",
        "role_clarity": 5,
        "responsiveness": 4,
        "invite_again": True,
        "comment": "",
    }


async def _metrics_tell_the_story(m: Motion, deal: dict[str, Any]) -> None:
    partner_metrics = (await m.pm.get(f"/api/v1/partners/{m.pid}/metrics")).json()
    cohort_metrics = (await m.pm.get(f"/api/v1/cohorts/{m.cohort_id}/metrics")).json()
    for metrics in (partner_metrics, cohort_metrics):
        for count in ("registered", "accepted", "won"):
            assert metrics["deals"][count] == {"count": 1, "deal_ids": [deal["id"]]}, (count, metrics["deals"])
        assert metrics["deals"]["open"]["count"] == metrics["deals"]["lost"]["count"] == 0
        assert metrics["deals"]["win_rate"] == {"value": 1.0, "numerator": 1, "denominator": 1}
        assert metrics["deals"]["won_amount"] == {"USD": 240_000}
        assert metrics["deals"]["attribution"]["sourced"]["deal_ids"] == [deal["id"]]  # the AE's word
        feedback = metrics["feedback"]
        assert (feedback["requested"], feedback["submitted"], feedback["pending"]) == (1, 1, 0)
        assert feedback["ae_referrals"] == {"count": 1, "deal_ids": [deal["id"]]}
        assert feedback["response_rate"] == {"value": 1.0, "numerator": 1, "denominator": 1}
        first = metrics["time_to_first_deal"]
        assert (first["deal_id"], first["cohort_id"]) == (deal["id"], m.cohort_id)
        assert 0 <= first["days"] < 0.01  # registered seconds after the window opened
    [line] = cohort_metrics["partners"]
    assert (line["partner_id"], line["registered"], line["won"], cohort_metrics["partners_with_deal"]) == (
        m.pid,
        1,
        1,
        1,
    )


def _timeline_tells_the_story(timeline: list[JourneyEvent], deal: dict[str, Any]) -> None:
    kinds = [e.kind for e in timeline]
    steps_done = [e.step_key for e in timeline if e.kind == "step_completed"]
    assert steps_done == ["account-list-upload", "ae-intro-request", "register-deal"]
    # The motion in the order it happened, each once.
    motion = ["intro_requested", "intro_accepted", "deal_registered", "deal_accepted", "deal_closed_won"]
    motion.append("ae_feedback_received")
    assert [k for k in kinds if k in motion] == motion, kinds
    assert kinds.index("journey_completed") < kinds.index("ae_feedback_received")
    by_kind = {e.kind: e.data for e in timeline}
    assert by_kind["deal_registered"] | {"deal_id": deal["id"]} == by_kind["deal_registered"]
    assert (by_kind["deal_registered"]["source"], by_kind["deal_registered"]["role"]) == ("partner", "sourced")
    received = by_kind["ae_feedback_received"]
    assert (received["deal_id"], received["ae"], received["trust_score"]) == (deal["id"], "Dana Whitfield", 96)
    # The journey ended when the deal was registered (its last step), so no running journey is told
    # about the new trust score: `trust_updated` is only written by a running journey. The score is on
    # the timeline through ae_feedback_received above.
    assert "trust_updated" not in kinds


async def _progress_tells_the_story(m: Motion) -> None:
    progress = (await m.pm.get(f"/api/v1/cohorts/{m.cohort_id}/progress")).json()
    [line] = progress["partners"]
    assert (line["stage"], line["status"], line["current_step"], line["readiness_score"]) == (
        "acceleration",
        "completed",
        None,
        30,  # icp_clarity 10 + messaging_consistency 10 + proof_points 10, from the playbook's steps
    )
    assert progress["by_status"] == {"completed": 1}
    assert [(s["step_key"], s["invited"], s["completed"], s["open"]) for s in progress["steps"]] == [
        ("account-list-upload", 1, 1, 0),
        ("ae-intro-request", 1, 1, 0),
        ("register-deal", 1, 1, 0),
    ]
