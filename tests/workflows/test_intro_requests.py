"""Intro requests on the time-skipping server with the real activities and database: journeys on the
shipped cosell-motion-21d playbook ask owner AEs for introductions; each AE gets one digest a day."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.intros import digest_slot
from api.cohorts.schemas import CohortOut
from db.cosell_models import IntroRequest
from db.models import EmailOutbox, JourneyEvent
from db.session import SessionFactory, transaction
from tests.factories import create_cohort, partner, settings_for
from tests.intro_data import Crm, overlap, seed_crm
from tests.waiting import eventually
from tests.workflows.helpers import partner_ids, running_worker, start_journey
from tests.workflows.test_journey import query_progress
from workflows.intro_batch.messages import IntroAnswer, intro_batch_id
from workflows.intro_batch.workflow import IntroBatchWorkflow
from workflows.journey.messages import StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

PLAYBOOK = "cosell-motion-21d"
WHY = {
    "Alpha Analytics": "Northwind is moving its plant-floor data to the cloud in Q3; we run their MES today "
    "and would bring our predictive-maintenance use case.",
    "Beta Builders": "Their CFO asked us for a consolidation plan before the April board meeting; twenty "
    "minutes to align account plans would help both of us.",
    "Gamma Grid": "Tailspin renews its SCADA contract in June and asked us for options; we would bring our "
    "grid-analytics accelerator.",
}


async def open_step(env: WorkflowEnvironment, jid: str, step_key: str) -> None:
    async def opened() -> bool:
        progress = await query_progress(env, jid)
        assert progress.open_step and progress.open_step.step_key == step_key, progress.open_step
        return True

    await eventually(opened, what=f"{jid} opens {step_key}")


async def request_intros(env: WorkflowEnvironment, jid: str, crm: Crm, partner_name: str, *accounts: str) -> None:
    """Upload (the list itself is seeded), then ask for introductions on the given accounts."""
    handle = env.client.get_workflow_handle(jid)
    await open_step(env, jid, "account-list-upload")
    upload = StepSubmission(step_key="account-list-upload", answers={"accounts": 40, "overlapping": len(accounts)})
    await handle.execute_update(PartnerJourneyWorkflow.complete_step, upload)
    await open_step(env, jid, "ae-intro-request")
    answers = {"accounts": [crm.account_ids[a] for a in accounts], "reason": WHY[partner_name]}
    intro = StepSubmission(step_key="ae-intro-request", answers=answers)
    await env.client.get_workflow_handle(jid).execute_update(PartnerJourneyWorkflow.complete_step, intro)


async def outbox(sessions: SessionFactory, *kinds: str) -> list[EmailOutbox]:
    async with transaction(sessions) as session:
        rows = await session.scalars(
            select(EmailOutbox).where(EmailOutbox.kind.in_(kinds)).order_by(EmailOutbox.created_at)
        )
        return list(rows)


async def intro_rows(sessions: SessionFactory) -> list[IntroRequest]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(IntroRequest).order_by(IntroRequest.requested_at)))


async def intro_events(sessions: SessionFactory) -> list[JourneyEvent]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(JourneyEvent).where(JourneyEvent.kind.startswith("intro_")))
        return list(rows)


async def sleep_until(env: WorkflowEnvironment, moment: datetime) -> None:
    # Once in a CI run the test server reset this long sleep's stream ("h2 protocol error") with the
    # server still up; the clock is the truth, so sleep again for what is left rather than fail.
    for attempt in range(3):
        now = await env.get_current_time()
        if moment <= now:
            return
        try:
            await env.sleep(moment - now)
        except RPCError:
            if attempt == 2:
                raise


async def setup(env: WorkflowEnvironment, sessions: SessionFactory, *names: str) -> tuple[Crm, list[str], CohortOut]:
    now = await env.get_current_time()
    cohort = await create_cohort(
        sessions,
        [partner(n) for n in names],
        starts_at=now,
        playbook_id=PLAYBOOK,
        pm_email="alliances-pm@vendor.example",
    )
    pids = await partner_ids(sessions, cohort.id)  # ordered by name, like `names`
    return await seed_crm(sessions), pids, cohort


async def check_the_digests(
    sessions: SessionFactory, digests: list[EmailOutbox], crm: Crm, day: str, next_day: str
) -> None:
    """Each AE got one digest a day with only their accounts; every request was sent in its day's batch."""
    by_to: dict[str, list[EmailOutbox]] = {}
    for mail in digests:
        by_to.setdefault(mail.to_email, []).append(mail)
    dana, marcus = by_to["dana.whitfield@vendor.example"], by_to["marcus.oyelaran@vendor.example"]
    assert [m.dedupe_key for m in dana] == [
        f"intro-digest/{crm.ae_ids['dana']}/{day}",
        f"intro-digest/{crm.ae_ids['dana']}/{next_day}",
    ]
    first_dana = dana[0]
    # One email for both partners and all three of Dana's accounts, with reasons and one-click links.
    assert first_dana.subject == "3 co-sell intro requests from Alpha Analytics and Beta Builders"
    for text in ("Northwind Components", "Contoso Pharmaceuticals", WHY["Alpha Analytics"], WHY["Beta Builders"]):
        assert text in first_dana.text
    assert first_dana.text.count("/ae/intro/") == 9  # accept / not now / decline per request
    assert "Fabrikam" not in first_dana.text and "Tailspin" not in first_dana.text
    assert "Fabrikam Logistics" in marcus[0].text and "Northwind" not in marcus[0].text
    assert "Gamma Grid" in dana[1].text and "Alpha Analytics" not in dana[1].text
    assert all(m.status == "sent" for m in digests)
    rows = await intro_rows(sessions)
    assert len(rows) == 6 and {r.status for r in rows} == {"sent"}
    assert {r.batch_id for r in rows if r.ae_id == crm.ae_ids["dana"]} == {
        intro_batch_id(crm.ae_ids["dana"], day),
        intro_batch_id(crm.ae_ids["dana"], next_day),
    }
    assert len([e for e in await intro_events(sessions) if e.kind == "intro_requested"]) == 6


class TestDailyDigest:
    async def test_two_partners_same_day_make_one_digest_per_ae_and_the_next_day_a_second(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        names = ("Alpha Analytics", "Beta Builders", "Gamma Grid")
        crm, (alpha, beta, gamma), cohort = await setup(ts_env, sessions, *names)
        await overlap(sessions, crm, alpha, "Northwind Components", "Contoso Pharmaceuticals")
        await overlap(sessions, crm, beta, "Northwind Components", "Fabrikam Logistics")
        await overlap(sessions, crm, gamma, "Tailspin Wind Energy", "Contoso Pharmaceuticals")
        async with running_worker(ts_env.client, settings, sessions):
            for pid in (alpha, beta, gamma):
                await start_journey(ts_env.client, settings, cohort, pid)
            await request_intros(
                ts_env,
                journey_id(cohort.id, alpha),
                crm,
                "Alpha Analytics",
                "Northwind Components",
                "Contoso Pharmaceuticals",
            )
            await request_intros(
                ts_env, journey_id(cohort.id, beta), crm, "Beta Builders", "Northwind Components", "Fabrikam Logistics"
            )
            first = await intro_rows(sessions)
            day, send_at = digest_slot(first[0].requested_at)
            assert {digest_slot(r.requested_at)[0] for r in first} == {day}
            assert await outbox(sessions, "intro_digest") == []  # nothing before the cutoff
            await sleep_until(ts_env, send_at + timedelta(minutes=5))
            digests = await _until(lambda: _n_rows(sessions, "intro_digest", 2))

            # The next day: Gamma asks Dana (Contoso) and Marcus (Tailspin).
            await _open_gamma_after(ts_env, send_at)
            await request_intros(
                ts_env,
                journey_id(cohort.id, gamma),
                crm,
                "Gamma Grid",
                "Contoso Pharmaceuticals",
                "Tailspin Wind Energy",
            )
            rows = await intro_rows(sessions)
            next_day, next_send_at = digest_slot(rows[-1].requested_at)
            assert next_day > day
            await sleep_until(ts_env, next_send_at + timedelta(minutes=5))
            digests = await _until(lambda: _n_rows(sessions, "intro_digest", 4))

        await check_the_digests(sessions, digests, crm, day, next_day)


class TestReminderAndEscalation:
    async def test_silent_ae_is_reminded_on_business_days_then_the_pm_hears_and_a_late_answer_still_counts(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        crm, [alpha], cohort = await setup(ts_env, sessions, "Alpha Analytics")
        await overlap(sessions, crm, alpha, "Northwind Components")
        async with running_worker(ts_env.client, settings, sessions):
            await start_journey(ts_env.client, settings, cohort, alpha)
            await request_intros(ts_env, journey_id(cohort.id, alpha), crm, "Alpha Analytics", "Northwind Components")
            [row] = await intro_rows(sessions)
            day, send_at = digest_slot(row.requested_at)
            # 21d step cadence: every 2 business days, 2 reminders; the third tick escalates (~6 business days).
            await sleep_until(ts_env, send_at + timedelta(days=10))
            escalations = await _until(lambda: _n_rows(sessions, "pm_intro_escalation", 1))
            assert f"/partners/{alpha}" in escalations[0].text  # the partner's dashboard page
            reminders = await outbox(sessions, "intro_reminder")
            handle = ts_env.client.get_workflow_handle(intro_batch_id(crm.ae_ids["dana"], day))
            assert (await handle.describe()).status is not None and await handle.query(
                IntroBatchWorkflow.unanswered
            ) == [row.id]
            with ts_env.auto_time_skipping_disabled():
                receipt = await handle.execute_update(
                    IntroBatchWorkflow.answer, IntroAnswer(request_id=row.id, answer="not_now", note="After Q3 close")
                )
            await _until(lambda: _n_rows(sessions, "intro_answered", 1))
        assert [m.dedupe_key.rsplit("/", 1)[1] for m in reminders] == ["1", "2"]
        timeline = await intro_events(sessions)
        sent_at = sorted(e.occurred_at for e in timeline if e.kind == "intro_reminded")
        [escalated_at] = [e.occurred_at for e in timeline if e.kind == "intro_escalated"]
        assert all(at.weekday() < 5 for at in sent_at), sent_at
        assert sent_at[1] - sent_at[0] >= timedelta(days=2)
        [escalation] = escalations
        assert escalation.to_email == "alliances-pm@vendor.example"
        assert escalation.subject == "Dana Whitfield has not answered 1 intro request"
        assert "Northwind Components" in escalation.text and "Alpha Analytics" in escalation.text
        assert escalated_at - sent_at[1] >= timedelta(days=2) and escalated_at.weekday() < 5
        assert receipt.status == "not_now"
        [row] = await intro_rows(sessions)
        assert (row.status, row.answer_note) == ("not_now", "After Q3 close")
        kinds = sorted(e.kind for e in await intro_events(sessions))
        assert kinds == ["intro_escalated", "intro_not_now", "intro_reminded", "intro_reminded", "intro_requested"]


class TestAnswer:
    async def test_accept_is_recorded_once_the_partner_is_told_and_a_second_answer_is_refused(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        crm, [alpha], cohort = await setup(ts_env, sessions, "Alpha Analytics")
        await overlap(sessions, crm, alpha, "Northwind Components")
        async with running_worker(ts_env.client, settings, sessions):
            await start_journey(ts_env.client, settings, cohort, alpha)
            jid = journey_id(cohort.id, alpha)
            # Fabrikam is not in Alpha's overlap: the activity drops it even though the journey accepted the step.
            await request_intros(ts_env, jid, crm, "Alpha Analytics", "Northwind Components", "Fabrikam Logistics")
            [row] = await intro_rows(sessions)
            day, send_at = digest_slot(row.requested_at)
            await sleep_until(ts_env, send_at + timedelta(minutes=5))
            await _until(lambda: _n_rows(sessions, "intro_digest", 1))
            handle = ts_env.client.get_workflow_handle(intro_batch_id(crm.ae_ids["dana"], day))
            with ts_env.auto_time_skipping_disabled():
                receipt = await handle.execute_update(
                    IntroBatchWorkflow.answer, IntroAnswer(request_id=row.id, answer="accept", note="Happy to help")
                )
                with pytest.raises(WorkflowUpdateFailedError) as again:
                    await handle.execute_update(
                        IntroBatchWorkflow.answer, IntroAnswer(request_id=row.id, answer="decline")
                    )
                with pytest.raises(WorkflowUpdateFailedError) as unknown:
                    await handle.execute_update(
                        IntroBatchWorkflow.answer, IntroAnswer(request_id="not-a-request", answer="accept")
                    )
            [told] = await _until(lambda: _n_rows(sessions, "intro_answered", 1))

            async def batch_ended() -> bool:
                status = (await handle.describe()).status
                assert status is not None and status.name == "COMPLETED", status
                return True

            await eventually(batch_ended, what="the batch ends once everything is answered")
        assert isinstance(again.value.cause, ApplicationError) and again.value.cause.type == "AlreadyAnswered"
        assert isinstance(unknown.value.cause, ApplicationError) and unknown.value.cause.type == "UnknownIntroRequest"
        assert receipt.status == "accepted"
        [row] = await intro_rows(sessions)
        assert (row.status, row.answer_note, row.answered_at is not None) == ("accepted", "Happy to help", True)
        assert told.to_email == "alliances@alpha-analytics.example"
        assert told.subject == "Dana Whitfield accepted your intro request for Northwind Components"
        assert "Happy to help" in told.text and "Next step" in told.text
        answered = [e for e in await intro_events(sessions) if e.kind == "intro_accepted"]
        assert len(answered) == 1 and answered[0].journey_id == jid and answered[0].step_key == "ae-intro-request"


# --- helpers ---------------------------------------------------------------------------------


async def _n_rows(sessions: SessionFactory, kind: str, n: int) -> list[EmailOutbox] | None:
    rows = await outbox(sessions, kind)
    return rows if len(rows) >= n else None


async def _until(fetch):  # type: ignore[no-untyped-def]
    return await eventually(fetch, what="the emails to be queued")


async def _open_gamma_after(env: WorkflowEnvironment, moment: datetime) -> None:
    await sleep_until(env, moment + timedelta(hours=1))
