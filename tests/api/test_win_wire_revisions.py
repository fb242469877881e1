"""The win wire after its draft: an AE's revised answer rewrites a draft not yet approved (or withdraws it when it
no longer credits the partner) and leaves an approved one alone; each win wire email carries a signed one-click
unsubscribe (RFC 8058 headers and a link in the body) that takes the address off the program's field list, so a
later wire skips it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.feedback import FeedbackActivities
from activities.feedback_inputs import FeedbackRecord
from db.cosell_models import Deal
from db.models import AuditLog, EmailOutbox
from db.session import SessionFactory, transaction
from db.win_wire_models import WinWire
from mail.render import EmailRenderer
from mail.sender import OutboundEmail
from mail.unsubscribe import ListUnsubscribe
from tests.api.helpers import api_client
from tests.api.test_win_wire import AT, PRAISE, answer, wires
from tests.factories import settings_for
from tests.workflows.feedback_helpers import add_deal
from wiring import make_sender, make_signer
from workflows.ae_feedback.messages import FeedbackAnswers

BETTER = "Northwind brought the CISO in and wrote the migration plan with us; we closed a quarter early."


async def revise(sessions: SessionFactory, wire: WinWire, revision: int, comment: str, invite: bool = True) -> None:
    """The AE's answer again, revised, through the real feedback activity."""
    settings = settings_for(sessions)
    acts = FeedbackActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    answers = FeedbackAnswers(
        contribution="sourced", role_clarity=5, responsiveness=5, invite_again=invite, comment=comment
    )
    at = AT + timedelta(hours=revision)
    rec = FeedbackRecord(
        deal_id=wire.deal_id, ae_id=wire.ae_id, partner_id=wire.partner_id, answers=answers, revision=revision,
        submitted_at=at,
    )  # fmt: skip
    await ActivityEnvironment().run(acts.record_feedback, rec)


@pytest.mark.timeout(60)
async def test_a_revised_answer_refreshes_or_withdraws_a_draft_and_never_touches_an_approved_one(
    sqlite_sessions: SessionFactory,
) -> None:
    await answer(sqlite_sessions)
    [draft] = await wires(sqlite_sessions)
    assert PRAISE in draft.text
    await revise(sqlite_sessions, draft, 2, BETTER)
    [refreshed] = await wires(sqlite_sessions)
    assert (refreshed.id, refreshed.status) == (draft.id, "draft") and BETTER in refreshed.text
    assert PRAISE not in refreshed.text
    await revise(sqlite_sessions, draft, 3, BETTER, invite=False)  # no longer credits the partner
    assert [(w.id, w.status) for w in await wires(sqlite_sessions)] == [(draft.id, "withdrawn")]
    await revise(sqlite_sessions, draft, 4, BETTER)  # credits it again: the same draft is back
    assert [(w.id, w.status) for w in await wires(sqlite_sessions)] == [(draft.id, "draft")]
    async with transaction(sqlite_sessions) as session:
        await session.execute(update(WinWire).where(WinWire.id == draft.id).values(status="approved"))
    await revise(sqlite_sessions, draft, 5, "Actually the partner did little.", invite=False)
    [approved] = await wires(sqlite_sessions)
    assert (approved.status, approved.text) == ("approved", refreshed.text)
    async with transaction(sqlite_sessions) as session:
        actions = list(await session.scalars(select(AuditLog.action).where(AuditLog.action.like("win_wire_%"))))
    assert actions == ["win_wire_refreshed", "win_wire_withdrawn", "win_wire_refreshed"]


class Recorder:
    """The provider end: what the sender would hand over, headers included."""

    name = "recorder"

    def __init__(self) -> None:
        self.sent: list[OutboundEmail] = []

    async def send(self, email: OutboundEmail) -> str:
        self.sent.append(email)
        return f"msg-{len(self.sent)}"


async def win_emails(sessions: SessionFactory) -> list[EmailOutbox]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(EmailOutbox).where(EmailOutbox.kind == "win_wire"))
        return sorted(rows, key=lambda r: (r.created_at, r.to_email))


@pytest.mark.timeout(60)
async def test_one_click_unsubscribe_takes_the_address_off_the_field_list_and_later_wires_skip_it(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions)
    program_id = await answer(sqlite_sessions)
    [draft] = await wires(sqlite_sessions)
    base = f"/api/v1/programs/{program_id}"
    async with api_client(settings, ts_env.client) as api:
        put = await api.put(f"{base}/field-list", json={"emails": ["ana@vendor.example", "bo@vendor.example"]})
        assert put.status_code == 200, put.text
        assert (await api.post(f"{base}/win-wires/{draft.id}/approve")).status_code == 200
        ana = next(r for r in await win_emails(sqlite_sessions) if r.to_email == "ana@vendor.example")
        [link] = re.findall(r"https?://\S+/p/unsubscribe/\S+", ana.text)
        assert link in ana.html
        recorder = Recorder()
        sender = ListUnsubscribe(recorder, make_signer(settings), settings.public_base_url)
        await sender.send(OutboundEmail(ana.id, ana.to_email, "", ana.subject, ana.html, ana.text, kind=ana.kind))
        [sent] = recorder.sent
        assert sent.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        [header_link] = re.findall(r"^<(https?://\S+/p/unsubscribe/(\S+))>$", sent.headers["List-Unsubscribe"])
        for token in (header_link[1], link.rsplit("/", 1)[1]):  # signed at different moments: the same claims
            assert make_signer(settings).verify_unsubscribe(token).outbox_id == ana.id
        path = link.split("://", 1)[1].split("/", 1)[1]
        looked = await api.get(f"/{path}")  # a scanner's GET changes nothing
        assert looked.status_code == 200 and "Stop win wires" in looked.text, looked.text
        assert (await api.get(f"{base}/field-list")).json()["emails"] == ["ana@vendor.example", "bo@vendor.example"]
        clicked = await api.post(f"/{path}", headers={"Authorization": ""}, content=b"List-Unsubscribe=One-Click")
        assert clicked.status_code == 200 and "off the win wire" in clicked.text, clicked.text
        assert (await api.post(f"/{path}")).status_code == 200  # a second click is harmless
        assert (await api.get(f"{base}/field-list")).json()["emails"] == ["bo@vendor.example"]
        later = await _second_wire(sqlite_sessions, draft)
        approved = await api.post(f"{base}/win-wires/{later}/approve")
        assert approved.status_code == 200 and approved.json()["sent_to"] == ["bo@vendor.example"], approved.text
    later_rows = [r.to_email for r in await win_emails(sqlite_sessions) if later in r.dedupe_key]
    assert later_rows == ["bo@vendor.example"]


async def _second_wire(sessions: SessionFactory, first: WinWire) -> str:
    """Another won deal's story in the same program, as a draft."""
    async with transaction(sessions) as session:
        deal = await session.get(Deal, first.deal_id)
        assert deal is not None and deal.cohort_id is not None
    other = await add_deal(
        sessions, deal.cohort_id, first.partner_id, first.ae_id, account="Fabrikam", registered_at=AT
    )
    async with transaction(sessions) as session:
        wire = WinWire(
            id=str(uuid.uuid4()), deal_id=other, program_id=first.program_id, partner_id=first.partner_id,
            ae_id=first.ae_id, subject="Another win", text="Another story.", status="draft",
            created_at=datetime.now(UTC),
        )  # fmt: skip
        session.add(wire)
    return wire.id
