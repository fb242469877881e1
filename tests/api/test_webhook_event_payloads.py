"""Outbound webhook payloads: every event type has its own schema in the OpenAPI `webhooks` section, and an
event written through the repository validates against it; a deal emits its events for its program whether or
not its partner has a journey (registered by the PM, or by a CRM import)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError
from sqlalchemy import select
from temporalio.testing import ActivityEnvironment

from activities.feedback import FeedbackActivities
from activities.feedback_inputs import FeedbackOpen, FeedbackRecord
from api.app import create_app
from db.cosell_models import Deal
from db.models import Cohort, Journey
from db.repositories import deal_batches, deals, tier_reviews, webhooks
from db.session import SessionFactory, transaction
from db.webhook_models import WebhookEvent
from domain.deals import Stage
from domain.webhook_events import EVENTS, EventType
from mail.render import EmailRenderer
from settings import Settings
from tests.factories import create_cohort, partner, settings_for
from tests.workflows.feedback_helpers import add_ae, add_deal
from tests.workflows.helpers import partner_ids
from tests.workflows.webhook_helpers import subscribe
from wiring import make_sender, make_signer
from workflows.ae_feedback.messages import FeedbackAnswers

AT = datetime(2026, 11, 20, 9, tzinfo=UTC)

# Each timeline kind's data as the code that records it writes it (activities/, db/repositories/tier_reviews).
TIMELINE: dict[str, tuple[str | None, dict[str, Any]]] = {
    "stage_entered": (None, {"title": "Awareness", "ends_at": (AT + timedelta(days=30)).isoformat()}),
    "step_completed": ("icp", {"answers": {"industry": "Health"}, "play": "fit", "signals": {"fit": 10}}),
    "escalated": ("icp", {"reason": "no step completed for 14 days", "about": "escalated"}),
    "journey_exited": (None, {"reason": "no deal registered within 21 days"}),
    "tier_changed": (
        None,
        {
            "review_id": "r1",
            "partner_id": "p",
            "previous_tier": 1,
            "new_tier": 2,
            "move": "promoted",
            "reasons": ["3 deals won"],
        },
    ),  # fmt: skip
    "ae_feedback_received": (
        None,
        {
            "deal_id": "d",
            "account": "Contoso",
            "ae": "Dana",
            "revision": 1,
            "contribution": "sourced",
            "role_clarity": 5,
            "responsiveness": 4,
            "invite_again": True,
            "trust_score": 71.5,
        },
    ),  # fmt: skip
    "intro_accepted": ("intro", {"request_id": "i1", "account": "Contoso", "ae": "Dana", "hours_to_answer": 3.5}),
}


@cache
def openapi() -> dict[str, Any]:
    return create_app(Settings(environment="test")).openapi()


def openapi_validator(type_: EventType) -> Draft202012Validator:
    document = openapi()
    body = document["webhooks"][type_.value]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**body, "components": document["components"]})


def test_every_event_type_has_its_own_versioned_schema_in_the_openapi() -> None:
    document = openapi()
    refs = {}
    for type_ in EventType:
        body = document["webhooks"][type_.value]["post"]["requestBody"]["content"]["application/json"]["schema"]
        name = body["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
        assert schema["properties"]["type"]["const"] == type_.value, schema
        assert schema["properties"]["version"]["const"] == EVENTS[type_].model_fields["version"].default
        data = schema["properties"]["data"]
        assert "$ref" in data and data["$ref"].rsplit("/", 1)[-1] != "JourneyData", (type_, data)
        refs[type_] = name
    assert len(set(refs.values())) == len(EventType), refs


async def _program_and_partner(sessions: SessionFactory, *, journey: bool) -> tuple[Cohort, str]:
    cohort_out = await create_cohort(sessions, [partner()], starts_at=AT - timedelta(days=5))
    [pid] = await partner_ids(sessions, cohort_out.id)
    async with transaction(sessions) as session:
        cohort = await session.get(Cohort, cohort_out.id)
        assert cohort is not None
        if journey:
            session.add(Journey(id=f"journey/{cohort.id}/{pid}", cohort_id=cohort.id, partner_id=pid,
                                stage="activation", status="active", started_at=AT, updated_at=AT))  # fmt: skip
    return cohort, pid


async def _events(sessions: SessionFactory) -> list[WebhookEvent]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(WebhookEvent).order_by(WebhookEvent.sequence)))


def _registration(cohort: Cohort, pid: str, account: str) -> deals.Registration:
    return deals.Registration(
        program_id=cohort.program_id, partner_id=pid, account_name=account, partner_role="sourced", source="pm",
        actor="pm", at=AT, amount=50_000, detail={"description": "lab migration"},
    )  # fmt: skip


@pytest.mark.timeout(60)
async def test_written_events_of_every_type_validate_against_their_openapi_schema(
    sqlite_sessions: SessionFactory,
) -> None:
    cohort, pid = await _program_and_partner(sqlite_sessions, journey=True)
    await subscribe(sqlite_sessions, "https://crm.example/hooks")
    jid = f"journey/{cohort.id}/{pid}"
    async with transaction(sqlite_sessions) as session:
        for kind, (step, data) in TIMELINE.items():
            assert await webhooks.emit_timeline(session, f"t/{kind}", jid, kind, "activation", step, AT, data), kind
        made = await deals.register(session, _registration(cohort, pid, "Contoso"))
        for stage in (Stage.accepted, Stage.open, Stage.closed_won):
            await deals.move(session, made.deal, stage, AT)
        lost = await deals.register(session, _registration(cohort, pid, "Fabrikam"))
        await deals.move(session, lost.deal, Stage.closed_lost, AT, implied=True)
        stored = await session.get(Cohort, cohort.id)
        assert stored is not None
        for status in ("active", "closed"):
            assert await webhooks.emit_window(session, stored, status, AT)
    written = await _events(sqlite_sessions)
    assert {e.type for e in written} == {t.value for t in EventType}
    for event in written:
        openapi_validator(EventType(event.type)).validate(event.payload)
    step = next(e for e in written if e.type == "journey.step_completed")
    assert step.payload["data"]["details"]["signals"] == {"fit": 10}
    with pytest.raises(ValidationError):  # the schema is typed: a tier that is not a number does not fit
        bad = next(e for e in written if e.type == "partner.tier_changed").payload
        openapi_validator(EventType.tier_changed).validate(
            {**bad, "data": {**bad["data"], "details": {**bad["data"]["details"], "new_tier": "gold"}}}
        )


@pytest.mark.timeout(60)
async def test_a_deal_without_a_journey_emits_its_events_for_its_program(sqlite_sessions: SessionFactory) -> None:
    cohort, pid = await _program_and_partner(sqlite_sessions, journey=False)
    sub = await subscribe(sqlite_sessions, "https://crm.example/hooks")
    async with transaction(sqlite_sessions) as session:
        made = await deals.register(session, _registration(cohort, pid, "Contoso"))
        await deals.move(session, made.deal, Stage.accepted, AT)
        await deals.move(session, made.deal, Stage.closed_won, AT, implied=True)
        lost = await deals.register(session, _registration(cohort, pid, "Fabrikam"))
        await deals.move(session, lost.deal, Stage.closed_lost, AT, implied=True)
        imported = deals.new_deal(
            deals.Registration(
                program_id=cohort.program_id, partner_id=pid, account_name="Tailspin", partner_role="influenced",
                source="crm", actor="salesforce import", at=AT, crm_id="006A", stage=Stage.closed_won,
            ),
            None, "tailspin", None, None,
        )  # fmt: skip
        await deal_batches.insert_registered(session, [(imported, {"crm_id": "006A", "line": 2})], "crm", "import")
    written = await _events(sqlite_sessions)
    mine = [(e.type, e.payload["data"]["deal_id"]) for e in written]
    contoso, fabrikam = made.deal.id, lost.deal.id
    assert mine == [
        ("deal.registered", contoso), ("deal.accepted", contoso), ("deal.won", contoso),
        ("deal.registered", fabrikam), ("deal.accepted", fabrikam), ("deal.lost", fabrikam),
        ("deal.registered", imported.id), ("deal.accepted", imported.id), ("deal.won", imported.id),
    ], mine  # fmt: skip
    assert {(e.program_id, e.partner_id) for e in written} == {(sub.program_id, pid)}
    assert [e.sequence for e in written] == list(range(1, 10))
    assert all(e.payload["version"] == 2 and e.payload["data"]["journey_id"] is None for e in written)
    async with transaction(sqlite_sessions) as session:
        assert await session.get(Deal, imported.id) is not None


@pytest.mark.timeout(60)
async def test_a_partner_without_a_journey_still_emits_its_tier_change_and_ae_feedback(
    sqlite_sessions: SessionFactory,
) -> None:
    cohort, pid = await _program_and_partner(sqlite_sessions, journey=False)
    await subscribe(sqlite_sessions, "https://crm.example/hooks")
    moved = tier_reviews.Judged(pid, 3, 2, "promoted", 0, ("2 deals accepted",), {"fit": 60}, "default")
    async with transaction(sqlite_sessions) as session:
        review = await tier_reviews.open_review(session, cohort.program_id, "2026-11", "r/2026-11", AT)
        await tier_reviews.record(session, review, [moved])
        await tier_reviews.record(session, review, [moved])  # a retried page: one event
    ae = await add_ae(sqlite_sessions)
    deal = await add_deal(sqlite_sessions, cohort.id, pid, ae, stage="closed_won", registered_at=AT)
    settings = settings_for(sqlite_sessions)
    acts = FeedbackActivities(sqlite_sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    env = ActivityEnvironment()
    await env.run(acts.open_feedback, FeedbackOpen(deal_id=deal, ae_id=ae, partner_id=pid, requested_at=AT))
    answers = FeedbackAnswers(contribution="sourced", role_clarity=5, responsiveness=4, invite_again=True)
    rec = FeedbackRecord(deal_id=deal, ae_id=ae, partner_id=pid, answers=answers, revision=1, submitted_at=AT)
    await env.run(acts.record_feedback, rec)
    await env.run(acts.record_feedback, rec)  # a retried activity: one event
    facts = [e for e in await _events(sqlite_sessions) if e.type in ("partner.tier_changed", "feedback.received")]
    assert [(e.type, e.partner_id, e.program_id) for e in facts] == [
        ("partner.tier_changed", pid, cohort.program_id),
        ("feedback.received", pid, cohort.program_id),
    ], facts
    for e in facts:
        openapi_validator(EventType(e.type)).validate(e.payload)
        assert e.payload["version"] == 2 and e.payload["data"]["journey_id"] is None, e.payload
    assert facts[0].payload["data"]["details"]["new_tier"] == 2
    assert facts[1].payload["data"]["details"]["deal_id"] == deal
