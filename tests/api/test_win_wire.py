"""The win wire: a won deal the AE praises gets one draft; the PM edits and approves it, and the edited
story is emailed once to each field-list address; a second approval sends nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.feedback import FeedbackActivities
from activities.feedback_inputs import FeedbackOpen, FeedbackRecord
from db.models import Cohort, EmailOutbox
from db.session import SessionFactory, transaction
from db.win_wire_models import WinWire
from mail.render import EmailRenderer
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.feedback_helpers import add_ae, add_deal
from tests.workflows.helpers import partner_ids
from wiring import make_sender, make_signer
from workflows.ae_feedback.messages import FeedbackAnswers

AT = datetime(2026, 11, 19, 10, tzinfo=UTC)
PRAISE = "Northwind ran the security review workshop and got the CISO to sign off in a week."
FIELD = ["ana@vendor.example", "Bo@Vendor.example"]


async def answer(
    sessions: SessionFactory, *, stage: str = "closed_won", contribution: str = "sourced", invite: bool = True
) -> str:
    """A closed deal whose AE answered the feedback form (twice: a retried activity); the program id."""
    settings = settings_for(sessions)
    cohort = await create_cohort(sessions, [partner()])
    [pid] = await partner_ids(sessions, cohort.id)
    ae = await add_ae(sessions)
    deal = await add_deal(sessions, cohort.id, pid, ae, stage=stage, registered_at=AT)
    acts = FeedbackActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    env = ActivityEnvironment()
    await env.run(acts.open_feedback, FeedbackOpen(deal_id=deal, ae_id=ae, partner_id=pid, requested_at=AT))
    answers = FeedbackAnswers(
        contribution=contribution, role_clarity=5, responsiveness=5, invite_again=invite, comment=PRAISE
    )
    rec = FeedbackRecord(deal_id=deal, ae_id=ae, partner_id=pid, answers=answers, revision=1, submitted_at=AT)
    await env.run(acts.record_feedback, rec)
    await env.run(acts.record_feedback, rec)
    async with transaction(sessions) as session:
        row = await session.get(Cohort, cohort.id)
        assert row is not None
        return row.program_id


async def wires(sessions: SessionFactory) -> list[WinWire]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(WinWire)))


async def win_emails(sessions: SessionFactory) -> list[EmailOutbox]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(EmailOutbox).where(EmailOutbox.kind == "win_wire")))


@pytest.mark.timeout(60)
async def test_a_praised_win_gets_one_draft_in_the_aes_words(sqlite_sessions: SessionFactory) -> None:
    await answer(sqlite_sessions)
    [wire] = await wires(sqlite_sessions)
    assert wire.status == "draft" and PRAISE in wire.text, wire.text
    assert "Contoso Health" in wire.subject and "180,000" in wire.subject and "Northwind" in wire.subject


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "case",
    [dict(contribution="none"), dict(invite=False), dict(stage="closed_lost"), dict(contribution="accelerated")],
)
async def test_no_draft_without_a_win_the_ae_credits(sqlite_sessions: SessionFactory, case: dict[str, object]) -> None:
    await answer(sqlite_sessions, **case)  # type: ignore[arg-type]
    assert await wires(sqlite_sessions) == []


@pytest.mark.timeout(120)
async def test_edit_then_approve_emails_the_field_list_once(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    program_id = await answer(sessions)
    base = f"/api/v1/programs/{program_id}"
    async with api_client(settings_for(sessions), dev_env.client) as api:
        [draft] = (await api.get(f"{base}/win-wires")).json()
        approve = f"{base}/win-wires/{draft['id']}/approve"
        early = await api.post(approve)
        assert early.status_code == 422 and "field list" in early.json()["error"], early.text
        bad = await api.put(f"{base}/field-list", json={"emails": ["ana@vendor.example", "not-an-address"]})
        assert bad.status_code == 422 and bad.json()["detail"][0]["path"] == "emails.1", bad.text
        put = await api.put(f"{base}/field-list", json={"emails": [*FIELD, "ana@vendor.example"]})
        assert put.json() == {"emails": ["ana@vendor.example", "bo@vendor.example"]}, put.text
        empty = await api.patch(f"{base}/win-wires/{draft['id']}", json={})
        assert empty.status_code == 422 and "nothing to change" in empty.json()["error"], empty.text
        edited = "Northwind and Jordan won Contoso Health: a one-week security sign-off."
        patched = await api.patch(f"{base}/win-wires/{draft['id']}", json={"text": edited})
        assert patched.status_code == 200 and patched.json()["text"] == edited, patched.text
        headers = {"Idempotency-Key": f"approve-{draft['id']}"}
        first = await api.post(approve, headers=headers)
        assert first.status_code == 200 and first.json()["status"] == "approved", first.text
        again = await api.post(approve, headers=headers)
        assert again.status_code == 200 and again.json() == first.json(), again.text
        twice = await api.post(approve)
        assert twice.status_code == 409, twice.text
        late = await api.patch(f"{base}/win-wires/{draft['id']}", json={"text": "changed after"})
        assert late.status_code == 409, late.text
        missing = await api.post(f"{base}/win-wires/no-such-wire/approve")
        assert missing.status_code == 404 and "no-such-wire" in missing.json()["error"], missing.text

        async def delivered() -> list[EmailOutbox]:
            rows = await win_emails(sessions)
            assert len(rows) == 2 and all(r.status == "sent" for r in rows), [(r.to_email, r.status) for r in rows]
            return rows

        rows = await eventually(delivered, what="one win wire email per field-list address, sent")
    assert Counter(r.to_email for r in rows) == {"ana@vendor.example": 1, "bo@vendor.example": 1}
    assert all(edited in r.text and edited in r.html and PRAISE not in r.text for r in rows)
