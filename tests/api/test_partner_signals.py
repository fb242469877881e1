"""A partner's facts read back from the database, and its signals over the API. SQLite and Postgres."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from db.cosell_models import Deal, IntroRequest
from db.models import EmailOutbox, Journey, JourneyStep
from db.repositories import partner_facts
from db.session import SessionFactory, transaction
from domain.intel.assess import assess
from tests.api.helpers import api_client
from tests.deal_data import add_account, add_ae, program_id
from tests.factories import create_cohort, partner, settings_for
from tests.workflows.helpers import partner_ids

T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ICP = {
    "industry": "Healthcare",
    "company_size": 800,
    "trigger": "A new CISO after an audit finding on patient data access.",
    "website": "https://fabrikam.example/health",
}


def journey_steps(jid: str) -> list[JourneyStep]:
    """ICP done, rules done, the target account overdue after every reminder."""
    rows = []
    for key, stage, invited, done, answers in (
        ("icp", "awareness", T0, T0 + 2 * DAY, ICP),
        ("rules", "awareness", T0 + 2 * DAY, T0 + 3 * DAY, {}),
        ("target-account", "activation", T0 + 7 * DAY, None, None),
    ):
        rows.append(
            JourneyStep(
                journey_id=jid,
                step_key=key,
                stage=stage,
                play_key="p",
                status="completed" if done else "overdue",
                invited_at=invited,
                due_at=invited + 3 * DAY,
                reminders_sent=0 if done else 2,
                completed_at=done,
                submission=answers,
            )
        )
    return rows


def around(jid: str, pid: str, cohort_id: str, ae: str, account: str, program: str) -> list[object]:
    """A click in the ICP invite, an intro the AE accepted, and the deal registered on that account."""
    rows: list[object] = []
    rows.append(
        EmailOutbox(
            id=str(uuid.uuid4()),
            dedupe_key=f"{jid}/icp/invite/0",
            journey_id=jid,
            kind="step_invite",
            to_email="alliances@fabrikam.example",
            subject="s",
            html="h",
            text="t",
            provider="outbox",
            clicked_at=T0 + DAY / 4,
        )
    )
    rows.append(
        IntroRequest(
            id="intro-1",
            journey_id=jid,
            step_key="target-account",
            partner_id=pid,
            vendor_account_id=account,
            ae_id=ae,
            reason="Same trigger as our last win",
            status="accepted",
            requested_at=T0 + 4 * DAY,
            answered_at=T0 + 5 * DAY,
        )
    )
    rows.append(
        Deal(
            id="deal-1",
            program_id=program,
            partner_id=pid,
            cohort_id=cohort_id,
            account_name="Contoso Health",
            account_key="contoso-health.example",
            ae_id=ae,
            source="partner",
            stage="accepted",
            partner_role="sourced",
            registered_at=T0 + 6 * DAY,
            updated_at=T0 + 8 * DAY,
        )
    )
    return rows


async def recorded_partner(sessions: SessionFactory) -> str:
    return (await recorded(sessions))[1]


async def recorded(sessions: SessionFactory) -> tuple[str, str]:
    """An SI two weeks into the quickstart playbook: ICP done, rules done, the target account overdue,
    an intro an AE accepted and a deal registered on that account."""
    cohort = await create_cohort(sessions, [partner("Fabrikam Cloud Partners", "SI")], starts_at=T0)
    [pid] = await partner_ids(sessions, cohort.id)
    jid = f"journey/{cohort.id}/{pid}"
    ae = await add_ae(sessions, "dana.reyes@vendor.example", "Dana Reyes")
    account = await add_account(sessions, "0015g00000ContosoH", "Contoso Health", "contoso-health.example", ae)
    program = await program_id(sessions)
    async with transaction(sessions) as session:
        session.add(
            Journey(
                id=jid,
                cohort_id=cohort.id,
                partner_id=pid,
                stage="activation",
                status="waiting",
                started_at=T0,
                updated_at=T0 + 9 * DAY,
            )
        )
        await session.flush()
        session.add_all(journey_steps(jid))
        session.add_all(around(jid, pid, cohort.id, ae, account, program))
    return cohort.id, pid


class TestPartnerFacts:
    async def test_reads_steps_answers_clicks_intros_and_deals(self, sessions: SessionFactory) -> None:
        pid = await recorded_partner(sessions)
        async with transaction(sessions) as session:
            facts = await partner_facts.load_one(session, pid)
            assert await partner_facts.load_one(session, "no-such-partner") is None
        assert facts is not None and facts.joined_at == T0 and facts.type == "SI"
        steps = {s.step_key: s for s in facts.steps}
        assert steps["icp"].title == "Describe your ideal customer" and steps["icp"].first_seen_at == T0 + DAY / 4
        assert steps["target-account"].completed_at is None and steps["target-account"].reminders_sent == 2
        [sub] = facts.submissions
        assert (sub.step_key, [k.value for k in sub.answer_kinds], sub.answers) == ("icp", ["icp"], ICP)
        assert [(i.account_name, i.ae_name, i.status) for i in facts.intros] == [
            ("Contoso Health", "Dana Reyes", "accepted")
        ]
        assert [(d.deal_id, d.stage, d.ae_name) for d in facts.deals] == [("deal-1", "accepted", "Dana Reyes")]

        judged = assess(facts, T0 + 14 * DAY)
        readiness = {i.reason: i.source for i in judged.signal("gtm_readiness").items if i.points}
        assert readiness["ICP names a buyer role ('ciso')"] == "step icp"
        assert readiness["ICP names a company-size band ('800 employees')"] == "step icp"
        assert "took up Dana Reyes's yes on Contoso Health" in {i.reason for i in judged.behavior.items}


class TestSignalsEndpoint:
    async def test_returns_every_signal_with_its_explanation(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        pid = await recorded_partner(sessions)
        as_of = (T0 + 14 * DAY).isoformat()
        async with api_client(settings_for(sessions), ts_env.client) as client:
            found = await client.get(f"/api/v1/partners/{pid}/signals", params={"as_of": as_of})
            missing = await client.get("/api/v1/partners/nope/signals")
            anonymous = await client.get(f"/api/v1/partners/{pid}/signals", headers={"Authorization": "Bearer no"})
        assert (missing.status_code, anonymous.status_code) == (404, 401)
        body = found.json()
        assert found.status_code == 200, body
        assert [s["name"] for s in body["signals"]] == [
            "gtm_readiness",
            "proven_capability",
            "early_traction",
            "field_advocacy",
        ]
        for score in (*body["signals"], body["behavior"]):
            assert score["value"] == round(sum(i["points"] for i in score["items"])), score
        traction = body["signals"][2]
        assert traction["value"] == 20
        assert [i["source"] for i in traction["items"]] == ["deal deal-1", "intro intro-1"]
        assert body["trust"] is None and body["tier"]["name"] == "Baseline"
        assert body["classification"]["label"] == "at_risk"
        assert any("'Name one account we could win together' since" in r for r in body["classification"]["reasons"])
        assert body["next_action"]["source"].startswith("step ")


class TestCohortIntelligence:
    async def test_every_member_judged_and_today_ranked(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        cohort_id, pid = await recorded(sessions)
        as_of = (T0 + 14 * DAY).isoformat()
        async with api_client(settings_for(sessions), ts_env.client) as client:
            found = await client.get(f"/api/v1/cohorts/{cohort_id}/intelligence", params={"as_of": as_of})
            missing = await client.get("/api/v1/cohorts/nope/intelligence")
        assert missing.status_code == 404
        body = found.json()
        assert found.status_code == 200, body
        [member] = body["partners"]
        assert (member["partner_id"], member["name"], member["classification"]) == (
            pid,
            "Fabrikam Cloud Partners",
            "at_risk",
        )
        assert member["values"]["early_traction"] == 20 and member["tier"] == 3
        kinds = [(i["kind"], i["rank"]) for i in body["today"]]
        assert [k for k, _ in kinds] == ["review_waiting", "stalled_partner"]
        assert [r for _, r in kinds] == sorted((r for _, r in kinds), reverse=True)
        review = body["today"][0]
        assert review["reason"] == "'Describe your ideal customer' waits for your review"
        assert review["link"] == f"/api/v1/partners/{pid}" and review["urgency"] == 5
