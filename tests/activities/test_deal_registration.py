"""A completed deal_registration step registers its deal once: through DealActivities.register_deal (journeys
past the "deal-registration-activity" patch) or inside the completion's projection (journeys begun before)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from sqlalchemy import func, select

from activities.deal_inputs import RegisterDeal
from activities.deals import DealActivities
from activities.journey_inputs import JourneyUpdate
from activities.journeys import JourneyActivities
from db.cosell_models import Deal, DealAttribution
from db.models import AuditLog, JourneyEvent
from db.repositories import journeys
from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, transaction
from mail.render import EmailRenderer
from playbooks.kinds import clean_answers
from playbooks.loader import shipped_playbooks
from playbooks.model import Step
from tests.deal_data import add_account, add_ae, registration
from tests.factories import create_cohort, partner, settings_for
from tests.mail.helpers import CountingSender
from tests.workflows.helpers import partner_ids
from wiring import make_signer
from workflows.journey.messages import journey_id

PLAYBOOK = "cosell-motion-21d"
VERSION = {p.id: p for p in shipped_playbooks()}[PLAYBOOK].version  # the one the template databases publish
STEP = "register-deal"


class Acts:
    """Both ways a completed deal step reaches the database."""

    def __init__(self, sessions: SessionFactory):
        settings = settings_for(sessions)
        family = (sessions, CountingSender(), make_signer(settings), EmailRenderer(), settings)
        self.journeys, self.deals = JourneyActivities(*family), DealActivities(*family)


Route = Literal["activity", "projection"]


async def _setup(sessions: SessionFactory, *names: str) -> tuple[Acts, str, list[str], datetime]:
    starts = datetime(2026, 11, 2, 9, tzinfo=UTC)
    cohort = await create_cohort(sessions, [partner(n) for n in names], starts_at=starts, playbook_id=PLAYBOOK)
    pids = await partner_ids(sessions, cohort.id)
    async with transaction(sessions) as session:
        for pid in pids:
            await journeys.save_journey(
                session,
                dict(
                    id=journey_id(cohort.id, pid),
                    cohort_id=cohort.id,
                    partner_id=pid,
                    stage="acceleration",
                    current_play="first-co-sell-deal",
                    current_step=STEP,
                    status="waiting",
                    started_at=starts,
                    updated_at=starts,
                ),
            )
    return Acts(sessions), cohort.id, pids, starts


async def _complete(
    acts: Acts,
    sessions: SessionFactory,
    cohort_id: str,
    pid: str,
    at: datetime,
    raw: dict[str, Any],
    route: Route = "activity",
) -> str | None:
    """What the journey does when the partner completes the step: project it, then (patched) register."""
    answers, errors = clean_answers(await _step(sessions), raw)
    assert errors == {}
    jid = journey_id(cohort_id, pid)
    await acts.journeys.project_journey(
        JourneyUpdate(
            journey_id=jid,
            cohort_id=cohort_id,
            partner_id=pid,
            kind="step_completed",
            stage="acceleration",
            step_key=STEP,
            status="active",
            occurred_at=at,
            readiness_score=40,
            data={"answers": answers, "play": "first-co-sell-deal", "signals": {}},
            playbook_version=VERSION,
            registers_deal=route == "projection",
        )
    )
    if route == "projection":
        return None
    req = RegisterDeal(
        journey_id=jid, cohort_id=cohort_id, partner_id=pid, step_key=STEP, answers=answers, registered_at=at
    )
    return await acts.deals.register_deal(req)


async def _deals(sessions: SessionFactory) -> list[Deal]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(Deal).order_by(Deal.registered_at)))


async def _events(sessions: SessionFactory, jid: str, kind_prefix: str = "deal_") -> list[JourneyEvent]:
    async with transaction(sessions) as session:
        rows = await session.scalars(
            select(JourneyEvent)
            .where(JourneyEvent.journey_id == jid, JourneyEvent.kind.startswith(kind_prefix))
            .order_by(JourneyEvent.occurred_at, JourneyEvent.id)
        )
        return list(rows)


class TestRegistrationFromTheStep:
    @pytest.mark.parametrize("route", ["activity", "projection"])
    async def test_registers_once_linked_to_account_and_owner_ae(self, sessions: SessionFactory, route: Route) -> None:
        acts, cohort_id, [pid], starts = await _setup(sessions, "Northwind Analytics")
        owner = await add_ae(sessions, "dana.whitfield@vendor.example", "Dana Whitfield")
        account = await add_account(
            sessions, "0015g00000XyZ01AAF", "Contoso Pharmaceuticals Inc", "contoso-pharma.com", owner
        )
        at = starts + timedelta(days=15, hours=3)
        for _ in range(3):  # the activity retried after a lost ack: still one deal, one event
            await _complete(acts, sessions, cohort_id, pid, at, registration(), route)
        [deal] = await _deals(sessions)
        jid = journey_id(cohort_id, pid)
        assert (deal.source, deal.source_key, deal.journey_id, deal.cohort_id) == (
            "partner",
            f"{jid}/{STEP}",
            jid,
            cohort_id,
        )
        assert (deal.vendor_account_id, deal.ae_id, deal.account_key) == (account, owner, "domain:contoso-pharma.com")
        assert (deal.stage, deal.amount, deal.currency, deal.partner_role) == ("registered", 180_000, "USD", "sourced")
        assert str(deal.expected_close) == "2027-03-31" and deal.registered_at == at and deal.conflict is None
        [event] = await _events(sessions, jid)
        assert (event.kind, event.occurred_at, event.data["deal_id"]) == ("deal_registered", at, deal.id)
        async with transaction(sessions) as session:
            [said] = list(await session.scalars(select(DealAttribution)))
        assert (said.said_by, said.attribution, said.actor) == (
            "partner",
            "sourced",
            "alliances@northwind-analytics.example",
        )

    async def test_named_ae_wins_and_an_unknown_ae_email_is_not_trusted(self, sessions: SessionFactory) -> None:
        acts, cohort_id, [a, b], starts = await _setup(sessions, "Adatum Consulting", "Litware Systems")
        named = await add_ae(sessions, "sam.okafor@vendor.example", "Sam Okafor")
        await _complete(
            acts,
            sessions,
            cohort_id,
            a,
            starts,
            registration(account_name="Fabrikam", account_domain="fabrikam.com", ae_email="Sam.Okafor@vendor.example"),
        )
        await _complete(
            acts,
            sessions,
            cohort_id,
            b,
            starts,
            registration(account_name="Tailspin Toys", account_domain="", ae_email="my.friend@gmail.com"),
        )
        by_partner = {d.partner_id: d for d in await _deals(sessions)}
        assert by_partner[a].ae_id == named
        # A partner cannot make an unknown address "the AE" and answer its own feedback form.
        assert by_partner[b].ae_id is None and by_partner[b].account_key == "name:tailspin toys"
        # No CRM account, so no owner AE to tell: that is on the timeline too (tests/workflows/test_ae_deal_news.py).
        by_kind = {e.kind: e for e in await _events(sessions, journey_id(cohort_id, b))}
        assert set(by_kind) == {"deal_registered", "deal_ae_not_told"}
        assert by_kind["deal_registered"].data["ae_email_unmatched"] == "my.friend@gmail.com"

    async def test_two_partners_on_one_account_are_both_flagged(self, sessions: SessionFactory) -> None:
        acts, cohort_id, [a, b], starts = await _setup(sessions, "Adatum Consulting", "Litware Systems")
        await _complete(acts, sessions, cohort_id, a, starts + timedelta(days=1), registration())
        # Same company, typed differently: the domain makes it the same account.
        await _complete(
            acts,
            sessions,
            cohort_id,
            b,
            starts + timedelta(days=2),
            registration(
                account_name="Contoso Pharma, Inc.", account_domain="contoso-pharma.com/", partner_role="influenced"
            ),
        )
        first, second = await _deals(sessions)
        assert (first.partner_id, second.partner_id) == (a, b)
        assert first.conflict == second.conflict == "flagged"
        for pid in (a, b):
            kinds = [e.kind for e in await _events(sessions, journey_id(cohort_id, pid))]
            assert "deal_conflict" in kinds
        async with transaction(sessions) as session:
            audit = await session.scalar(select(AuditLog).where(AuditLog.action == "deal_conflict_flagged"))
        assert audit is not None and set(audit.detail["deals"]) == {first.id, second.id}

    async def test_other_steps_register_nothing(self, sessions: SessionFactory) -> None:
        acts, cohort_id, [pid], starts = await _setup(sessions, "Northwind Analytics")
        await acts.journeys.project_journey(
            JourneyUpdate(
                journey_id=journey_id(cohort_id, pid),
                cohort_id=cohort_id,
                partner_id=pid,
                kind="step_completed",
                stage="awareness",
                step_key="account-list-upload",
                status="active",
                occurred_at=starts,
                readiness_score=10,
                data={"answers": {"accounts": 12, "overlapping": 3}},
                playbook_version=VERSION,
            )
        )
        async with transaction(sessions) as session:
            assert await session.scalar(select(func.count()).select_from(Deal)) == 0

    async def test_a_patched_projection_leaves_the_deal_to_the_activity(self, sessions: SessionFactory) -> None:
        acts, cohort_id, [pid], starts = await _setup(sessions, "Northwind Analytics")
        answers, _ = clean_answers(await _step(sessions), registration())
        update = JourneyUpdate(
            journey_id=journey_id(cohort_id, pid),
            cohort_id=cohort_id,
            partner_id=pid,
            kind="step_completed",
            stage="acceleration",
            step_key=STEP,
            status="active",
            occurred_at=starts,
            readiness_score=40,
            data={"answers": answers},
            playbook_version=VERSION,
            registers_deal=False,
        )
        await acts.journeys.project_journey(update)
        assert await _deals(sessions) == []
        first = await _complete(acts, sessions, cohort_id, pid, starts, registration())
        second = await _complete(acts, sessions, cohort_id, pid, starts + timedelta(hours=1), registration())
        [deal] = await _deals(sessions)
        assert first == second == deal.id and deal.registered_at == starts

    async def test_a_deal_the_projection_registered_is_not_registered_again(self, sessions: SessionFactory) -> None:
        """One submission through both paths (a worker upgraded between a retried projection and the
        activity, say) still yields one deal and one timeline event."""
        acts, cohort_id, [pid], starts = await _setup(sessions, "Northwind Analytics")
        assert await _complete(acts, sessions, cohort_id, pid, starts, registration(), "projection") is None
        [deal] = await _deals(sessions)
        assert await _complete(acts, sessions, cohort_id, pid, starts, registration(), "activity") == deal.id
        assert [d.id for d in await _deals(sessions)] == [deal.id]
        assert [e.kind for e in await _events(sessions, journey_id(cohort_id, pid), "deal_registered")] == [
            "deal_registered"
        ]


async def _step(sessions: SessionFactory) -> Step:
    async with transaction(sessions) as session:
        row = await playbook_repo.get(session, PLAYBOOK)
        assert row is not None
    return playbook_repo.to_model(row).step(STEP)
